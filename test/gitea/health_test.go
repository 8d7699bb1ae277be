package gitea

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

// healthEnvironments: dev (commit) → stage (commit), held by the health of
// dev: Argo CD's status on the dev commit must be success for 2s, within
// 10s, and a red one rolls dev back.
const healthEnvironments = `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: commit
    gates:
      health: {statuses: ["argocd/{app}-{from}"], for: 2s, timeout: 10s, onFailure: rollback}
`

// healthCounts is what the health-gate cases saw, printed at the end.
type healthCounts struct {
	mu                                                  sync.Mutex
	released, failedOnRed, timedOut, rollbacks, wrongly int
}

var health healthCounts

func (c *healthCounts) add(f func(c *healthCounts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

func (c *healthCounts) line() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("health-gate: released=%d failed_on_red=%d timed_out=%d auto_rollbacks=%d wrongly_released=%d",
		c.released, c.failedOnRed, c.timedOut, c.rollbacks, c.wrongly)
}

// argoStatus posts Argo CD's commit status for payments in dev on sha, as
// Argo CD notifications' GitHub/Gitea commit-status service would.
func (s *stack) argoStatus(sha, state, description string) time.Time {
	s.t.Helper()
	s.must(alice, http.MethodPost, s.repoPath("/statuses/"+sha), map[string]any{
		"state": state, "context": "argocd/payments-dev", "description": description,
		"target_url": "https://argocd.example/applications/payments-dev",
	}, nil, http.StatusCreated)
	return time.Now()
}

// devCommit is the commit that brought release into dev.
func (s *stack) devCommit(release string) string {
	s.t.Helper()
	p := s.await(release, "dev", "committed")
	return p.CommitSHA
}

// rollbacksOf lists the automatic rollbacks into dev.
func (s *stack) rollbacks() []api.Promotion {
	s.t.Helper()
	var l api.PromotionList
	if st, body := s.ferryCall(http.MethodGet, "/api/v1/promotions?application=payments&environment=dev", readToken, nil, &l); st != http.StatusOK {
		s.t.Fatalf("listing promotions: %d %s", st, body)
	}
	var out []api.Promotion
	for _, p := range l.Items {
		if p.RequestedBy == "ferry:rollback" {
			out = append(out, p)
		}
	}
	return out
}

// TestHealthGateOnGiteaStatuses: Argo CD's status on the dev commit, posted
// with Gitea's API, decides stage: green for `for` releases it (not
// sooner); red fails it with the status's text and rolls dev back once;
// missing waits and times out.
func TestHealthGateOnGiteaStatuses(t *testing.T) {
	s := newStack(t, stackOptions{environments: healthEnvironments, reconcile: "1s"})

	// Green: released 2s after the status turned success, not before.
	good := s.build("1.0.0")
	sha := s.devCommit(good)
	waiting := s.await(good, "stage", "waiting")
	if !strings.Contains(waiting.Reason, `status "argocd/payments-dev" is missing on `+sha[:12]) {
		t.Errorf("stage waits for %q, want the missing status named", waiting.Reason)
	}
	green := s.argoStatus(sha, "success", "Healthy: synced to "+sha[:7])
	released := s.await(good, "stage", "committed")
	if released.UpdatedAt.Before(green.Add(2 * time.Second)) {
		health.add(func(c *healthCounts) { c.wrongly++ })
		t.Errorf("stage released at %s, under 2s after the status turned green at %s", released.UpdatedAt, green)
	}
	health.add(func(c *healthCounts) { c.released++ })

	// Red: the promotion fails with the status's text and link; dev goes
	// back to 1.0.0, once.
	bad := s.build("2.0.0")
	badSHA := s.devCommit(bad)
	s.await(bad, "stage", "waiting")
	s.argoStatus(badSHA, "failure", "Degraded: payments pods crash-looping")
	failed := s.await(bad, "stage", "failed")
	for _, want := range []string{`status "argocd/payments-dev"`, "is failure", "Degraded: payments pods crash-looping", "https://argocd.example/applications/payments-dev"} {
		if !strings.Contains(failed.Reason, want) {
			t.Errorf("failed stage says %q, want %q in it", failed.Reason, want)
		}
	}
	health.add(func(c *healthCounts) { c.failedOnRed++ })
	rb := s.awaitID(failed.ID+"-rollback", "committed")
	if rb.ReleaseID != good || rb.Environment != "dev" || rb.RequestedBy != "ferry:rollback" {
		t.Errorf("rollback = %+v, want 1.0.0 back into dev by ferry:rollback", rb)
	}
	if len(rb.Events) == 0 || !strings.Contains(rb.Events[0].Reason, "automatic rollback") || !strings.Contains(rb.Events[0].Reason, failed.ID) {
		t.Errorf("rollback history = %+v, want it to say it is automatic and why", rb.Events)
	}
	health.add(func(c *healthCounts) { c.rollbacks++ })

	// The rollback's own chain into stage waits on the rollback commit;
	// left missing it times out, and a rollback is never rolled back.
	again := s.await(good, "stage", "failed")
	if !strings.Contains(again.Reason, "timed out after 10s") {
		t.Errorf("1.0.0 again in stage: %q, want a timeout", again.Reason)
	}
	health.add(func(c *healthCounts) { c.timedOut++ })
	time.Sleep(2 * time.Second)
	if n := len(s.rollbacks()); n != 1 {
		t.Errorf("%d automatic rollbacks, want exactly 1", n)
	}
}
