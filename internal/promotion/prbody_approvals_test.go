package promotion_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// describingHost stands for a Git host whose pull request #7 gets the
// approvals the test gives it, and that records every description written.
type describingHost struct {
	hostedPRs
	mu        sync.Mutex
	approvals []promotion.Approval
	bodies    []string // Ensure's, then each Describe's
}

func (h *describingHost) pr() promotion.PR {
	h.mu.Lock()
	defer h.mu.Unlock()
	return promotion.PR{Number: 7, URL: "https://git.example.com/acme/envs/pull/7", State: promotion.PROpen,
		Head: "ferry/payments/stage.x", Base: "main", Author: "ferry-bot", Approvals: h.approvals, Mergeable: true}
}

func (h *describingHost) Ensure(_ context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	h.mu.Lock()
	h.bodies = append(h.bodies, spec.Body)
	h.mu.Unlock()
	return h.pr(), nil
}

func (h *describingHost) Get(_ context.Context, n int) (promotion.PR, error) {
	if n != 7 {
		return promotion.PR{}, derrors.ErrNotFound
	}
	return h.pr(), nil
}

func (h *describingHost) Describe(_ context.Context, n int, title, body string) error {
	if n != 7 || !strings.HasPrefix(title, "payments: stage ← 1.0.0") {
		h.t.Errorf("Describe(#%d, %q)", n, title)
	}
	h.mu.Lock()
	h.bodies = append(h.bodies, body)
	h.mu.Unlock()
	return nil
}

func (h *describingHost) approve(a ...promotion.Approval) {
	h.mu.Lock()
	h.approvals = a
	h.mu.Unlock()
}

func (h *describingHost) written() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// TestDescriptionListsApprovals: the pull request's description lists the
// approvals and whether each counted ("1 of 1: alice (counted), mallory
// (no write access)"), and is rewritten when the counted ones change, not
// on every look nor for an approval that does not count.
func TestDescriptionListsApprovals(t *testing.T) {
	host := &describingHost{hostedPRs: hostedPRs{t}}
	f := newFixture(t, setup{
		providers: map[string]promotion.Provider{"envs": host},
		cfg:       promotion.Config{ReconcileInterval: 20 * time.Millisecond},
	})
	f.run()
	r := f.report("payments", "1.0.0")
	f.awaitState(r.Release.ID, "stage", promotion.StatePROpen)
	if got := host.written(); len(got) != 1 || !strings.Contains(got[0], "**Approvals: 0 of 1**: none yet") {
		t.Fatalf("descriptions %q, want one saying none yet", got)
	}

	// An approval that does not count changes nothing that counts.
	host.approve(promotion.Approval{User: "mallory", Reason: promotion.ReasonNoWrite})
	time.Sleep(200 * time.Millisecond) // several looks
	if got := host.written(); len(got) != 1 {
		t.Fatalf("%d descriptions after an uncounted approval, want still 1", len(got))
	}

	host.approve(promotion.Approval{User: "alice", Counted: true}, promotion.Approval{User: "mallory", Reason: promotion.ReasonNoWrite})
	eventually(t, "the description rewritten", func() bool { return len(host.written()) == 2 })
	if got := host.written()[1]; !strings.Contains(got, "**Approvals: 1 of 1**: alice (counted), mallory (no write access)") {
		t.Errorf("rewritten description lacks the approvals:\n%s", got)
	}
	time.Sleep(200 * time.Millisecond) // several more looks
	if got := host.written(); len(got) != 2 {
		t.Errorf("%d descriptions after unchanged looks, want 2", len(got))
	}
}
