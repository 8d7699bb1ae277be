package notify

import "testing"

func TestSourceRepoPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://github.com/acme/payments", "acme/payments"},
		{"https://github.com/acme/payments.git", "acme/payments"},
		{"https://gitlab.example.com/group/sub/payments/", "group/sub/payments"},
		{"git@gitea.example.com:acme/payments.git", "acme/payments"},
		{"acme/payments", "acme/payments"},
		{"payments", ""},
		{"", ""},
	} {
		if got := sourceRepoPath(tc.in); got != tc.want {
			t.Errorf("sourceRepoPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPinnedText(t *testing.T) {
	m := Message{Application: "payments", Environment: "prod", State: "pinned", Actor: "alice", Reason: "rollback to 1.4.1"}
	if got, want := m.Text(), "payments in prod: pinned by alice (rollback to 1.4.1)"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if got := EventName("pinned"); got != "environment.pinned" {
		t.Errorf("EventName(pinned) = %q", got)
	}
}
