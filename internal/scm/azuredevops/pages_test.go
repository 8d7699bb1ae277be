package azuredevops_test

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/azuredevops/azurefake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// TestStaleVoteAcrossIterationPages: the push that made the head is the
// 150th iteration, on the second page ($top=100), and a vote before it is
// stale.
func TestStaleVoteAcrossIterationPages(t *testing.T) {
	t.Parallel()
	m := scmtest.NewModel("ferry-bot")
	h := azurefake.Harness()
	p := h.Start(t, m, h.Token)
	m.Lock()
	n := m.Open("ferry/payments/prod", "main", "Promote", "", m.Bot).Number
	m.Unlock()
	for range 148 {
		m.Push(n)
	}
	m.Review(n, "alice", scmtest.Approve)
	m.Push(n)
	m.Review(n, "bob", scmtest.Approve)
	got, err := p.Get(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	want := []promotion.Approval{{User: "alice", Reason: promotion.ReasonStale}, {User: "bob", Counted: true}}
	if len(got.Approvals) != 2 || got.Approvals[0] != want[0] || got.Approvals[1] != want[1] {
		t.Errorf("Approvals = %+v, want %+v", got.Approvals, want)
	}
}
