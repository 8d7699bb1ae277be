package bitbucket_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/bitbucket/bitbucketfake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// TestStaleApprovalFoundOnALaterActivityPage: the push that made the head
// is logged after more approvals than one page holds, so the provider
// must follow next to date them, and stop at the previous head.
func TestStaleApprovalFoundOnALaterActivityPage(t *testing.T) {
	t.Parallel()
	m := scmtest.NewModel("ferry-bot")
	h := bitbucketfake.Harness()
	p := h.Start(t, m, h.Token)
	m.Lock()
	n := m.Open("ferry/payments/prod", "main", "Promote", "", m.Bot).Number
	m.Unlock()
	m.Review(n, "alice", scmtest.Approve)
	m.Push(n)
	var want []promotion.Approval
	want = append(want, promotion.Approval{User: "alice", Reason: promotion.ReasonStale})
	for i := range 55 {
		u := fmt.Sprintf("reviewer%02d", i)
		m.Review(n, u, scmtest.Approve)
		want = append(want, promotion.Approval{User: u, Counted: true})
	}
	pr, err := p.Get(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Approvals) != len(want) {
		t.Fatalf("%d approvals, want %d", len(pr.Approvals), len(want))
	}
	for i := range want {
		if pr.Approvals[i] != want[i] {
			t.Errorf("approval %d = %+v, want %+v", i, pr.Approvals[i], want[i])
		}
	}
	if len(pr.Approvers) != 55 {
		t.Errorf("%d approvers, want 55", len(pr.Approvers))
	}
}
