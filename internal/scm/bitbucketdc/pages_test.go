package bitbucketdc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/bitbucketdc/dcfake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// TestChecksReadEveryBuildPage: a failed build on the second page of
// build statuses (limit 100) still fails the checks.
func TestChecksReadEveryBuildPage(t *testing.T) {
	t.Parallel()
	m := scmtest.NewModel("ferry-bot")
	h := dcfake.Harness()
	p := h.Start(t, m, h.Token)
	m.Lock()
	pr := m.Open("ferry/payments/prod", "main", "Promote", "", m.Bot)
	m.Unlock()
	for i := range 120 {
		m.SetStatus(pr.HeadSHA(), fmt.Sprintf("job-%03d", i), promotion.ChecksPassed)
	}
	m.SetStatus(pr.HeadSHA(), "job-119", promotion.ChecksFailed)
	got, err := p.Get(context.Background(), pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Checks != promotion.ChecksFailed {
		t.Errorf("Checks = %q, want failed (the failure is on page 2)", got.Checks)
	}
}
