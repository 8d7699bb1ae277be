package promotion_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// approvingHost stands for a Git host whose pull request #7, opened by
// mallory, carries mallory's own approval and alice's, both counted by the
// host.
type approvingHost struct{ hostedPRs }

func (approvingHost) pr() promotion.PR {
	return promotion.PR{Number: 7, URL: "https://git.example.com/acme/envs/pull/7", State: promotion.PROpen,
		Head: "ferry/payments/stage", Base: "main", Author: "mallory", Mergeable: true}
}

func (h approvingHost) Ensure(context.Context, promotion.PRSpec) (promotion.PR, error) {
	return h.pr(), nil
}

func (h approvingHost) Get(_ context.Context, n int) (promotion.PR, error) {
	if n != 7 {
		return promotion.PR{}, derrors.ErrNotFound
	}
	pr := h.pr()
	pr.Approvals = []promotion.Approval{{User: "mallory", Counted: true}, {User: "alice", Counted: true}}
	pr.Approvers = []string{"mallory", "alice"}
	return pr, nil
}

// TestApprovalsListed: a promotion records every approval of its pull
// request with whether it counts: the author's own (four eyes) does not,
// with why, alice's does; its history says so once the counted set
// changes, not on every look.
func TestApprovalsListed(t *testing.T) {
	f := newFixture(t, setup{
		providers: map[string]promotion.Provider{"envs": approvingHost{hostedPRs{t}}},
		cfg:       promotion.Config{ReconcileInterval: 30 * time.Millisecond},
	})
	f.run()
	r := f.report("payments", "1.0.0")
	f.awaitState(r.Release.ID, "stage", promotion.StatePROpen)
	want := []promotion.Approval{
		{User: "mallory", Reason: promotion.ReasonAuthor},
		{User: "alice", Counted: true},
	}
	var p promotion.Promotion
	eventually(t, "stage approvals recorded", func() bool {
		p = f.promotionsOf(r.Release.ID)["stage"][0]
		return len(p.Approvals) == 2
	})
	equalApprovals(t, p.Approvals, want)
	if len(p.Approvers) != 1 || p.Approvers[0] != "alice" {
		t.Errorf("Approvers = %v, want [alice]", p.Approvers)
	}
	// A few more looks at the unchanged pull request add no approvals
	// transition.
	time.Sleep(200 * time.Millisecond)
	trs, err := f.store.Transitions(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	const summary = "approvals: mallory not counted: given by the pull request's author; alice counted"
	n := 0
	for _, tr := range trs {
		if tr.Reason == summary {
			n++
		}
	}
	if n != 1 {
		t.Errorf("transitions %+v: %d with %q, want 1", trs, n, summary)
	}
}

func equalApprovals(t *testing.T, got, want []promotion.Approval) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("approvals = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("approval %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
