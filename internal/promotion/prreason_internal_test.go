package promotion

import (
	"testing"

	"github.com/ferryhq/ferry/internal/config"
)

// TestPRReason: once the gates are met, the reason says what the host's
// own protection holds the pull request for, never "merging" while it
// does.
func TestPRReason(t *testing.T) {
	auto := config.Environment{Name: "stage", Gates: config.Gates{AutoMerge: true}}
	manual := config.Environment{Name: "prod"}
	open := Decision{Open: true}
	for _, tc := range []struct {
		name string
		d    Decision
		env  config.Environment
		pr   PR
		want string
	}{
		{"gate holds", Decision{Reason: "waiting for approvals: 0 of 1"}, auto, PR{Mergeable: true}, "waiting for approvals: 0 of 1"},
		{"merging", open, auto, PR{Mergeable: true, Checks: ChecksPending}, "approved; merging when checks pass"},
		{"someone merges", open, manual, PR{Mergeable: true}, "mergeable: waiting for someone to merge"},
		{"protection", open, auto, PR{NotMergeable: "branch protection of main requires 2 official approvals, 1 counted"},
			"gates met, but the host reports the pull request not mergeable: branch protection of main requires 2 official approvals, 1 counted"},
		{"not mergeable, no reason", open, manual, PR{}, "gates met, but the host reports the pull request not mergeable: no reason given"},
		{"changes requested", open, auto, PR{Mergeable: true, ChangesRequested: []string{"bob"}},
			"gates met, but changes requested by bob (blocks until dismissed)"},
		{"checks failed", open, auto, PR{Mergeable: true, Checks: ChecksFailed}, "gates met, but checks failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := prReason(tc.d, tc.env, false, tc.pr); got != tc.want {
				t.Errorf("prReason = %q, want %q", got, tc.want)
			}
		})
	}
}
