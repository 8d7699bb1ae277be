package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const statusToken = "argocd-notifications-status-0123456789"

// healthPipelineYAML: dev (commit) → stage (commit), held by the health of
// dev: Argo CD's status on the dev commit must be success for 2s, within
// 10s, and a red one rolls dev back. The repository is a plain bare
// repository: the statuses are posted to Ferry's own API.
func healthPipelineYAML(regHost string) string {
	return `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: commit
    gates:
      health: {statuses: ["argocd/{app}-{from}"], for: 2s, timeout: 10s, onFailure: rollback}
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`
}

// startHealth runs ferry with the built-in provider on the health pipeline,
// with a statuses:write token for the deploy tool.
func startHealth(t *testing.T) *pipelineStack {
	t.Helper()
	s := &stack{reg: newRegistry(t), data: t.TempDir()}
	s.bare = envRepo(t, s.reg.host, map[string]string{"ferry.yaml": healthPipelineYAML(s.reg.host)})
	addr := freeAddr(t)
	extra := fmt.Sprintf(`  - name: argocd
    sha256: %s
    scopes: [statuses:write]
`, sha(statusToken))
	cfg := serverConfig(addr, s.data, s.reg.host, s.bare, "")
	cfg = strings.Replace(cfg, "worker:\n", extra+"worker:\n  reconcileInterval: 1s\n", 1)
	path := writeConfig(t, cfg)
	s.f = startFerry(t, addr, "--config", path)
	return &pipelineStack{stack: s, cfg: path, addr: addr}
}

// postStatus posts Argo CD's status for payments in dev on sha, as Argo CD
// notifications' webhook service would. It returns the answer's status and
// the time just before the post: Ferry records the status no sooner.
func (ps *pipelineStack) postStatus(t *testing.T, token, sha, state, description string) (int, time.Time) {
	t.Helper()
	before := time.Now()
	b, _ := json.Marshal(map[string]string{"repository": "envs", "sha": sha, "context": "argocd/payments-dev", "state": state,
		"description": description, "target_url": "https://argocd.example/applications/payments-dev"})
	r := ps.f.call(t, http.MethodPost, "/api/v1/statuses", token, strings.NewReader(string(b)))
	return r.status, before
}

// awaitID waits for promotion id to reach state.
func (ps *pipelineStack) awaitID(t *testing.T, id, state string) promotionView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		r := ps.f.call(t, http.MethodGet, "/api/v1/promotions/"+id, readToken, nil)
		if r.status == http.StatusOK {
			var p promotionView
			r.json(t, &p)
			if p.State == state {
				return p
			}
			last = p.State + " " + p.Reason
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("promotion %s never reached %s (last: %s)", id, state, last)
	return promotionView{}
}

// healthRollbacks lists the automatic rollbacks into dev.
func (ps *pipelineStack) healthRollbacks(t *testing.T) []promotionView {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/promotions?application=payments&environment=dev", readToken, nil)
	var l struct{ Items []promotionView }
	r.json(t, &l)
	var out []promotionView
	for _, p := range l.Items {
		if p.RequestedBy == "ferry:rollback" {
			out = append(out, p)
		}
	}
	return out
}

// TestHealthGateOnBuiltinStatuses: on a plain Git server, the statuses
// posted to POST /api/v1/statuses decide stage: green for `for` releases it
// (not sooner); red fails it with the status's text and link and rolls dev
// back exactly once, recorded in history; missing waits and times out.
func TestHealthGateOnBuiltinStatuses(t *testing.T) {
	ps := startHealth(t)
	var released, failedOnRed, timedOut, rollbacks, wrongly int
	defer func() {
		fmt.Printf("health-gate-builtin: released=%d failed_on_red=%d timed_out=%d auto_rollbacks=%d wrongly_released=%d\n",
			released, failedOnRed, timedOut, rollbacks, wrongly)
	}()

	// Green: stage waits, naming the missing status, and is released 2s
	// after the status turned success, not before.
	good, _ := ps.build(t, "1.0.0")
	sha := ps.awaitPromotion(t, good, "dev", "committed").CommitSHA
	waiting := ps.awaitPromotion(t, good, "stage", "waiting")
	if !strings.Contains(waiting.Reason, `status "argocd/payments-dev" is missing on `+sha[:12]) {
		t.Errorf("stage waits for %q, want the missing status named", waiting.Reason)
	}
	// Only a statuses:write token may post, and only a well-formed status.
	if st, _ := ps.postStatus(t, readToken, sha, "success", "Healthy"); st != http.StatusForbidden {
		t.Errorf("a read token posting a status: %d, want 403", st)
	}
	if st, _ := ps.postStatus(t, statusToken, sha, "healthy", "Healthy"); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
		t.Errorf("state \"healthy\": %d, want a 4xx problem", st)
	}
	if p := ps.awaitPromotion(t, good, "stage", "waiting"); p.State != "waiting" {
		t.Fatalf("stage after refused statuses: %s", p.State)
	}
	st, green := ps.postStatus(t, statusToken, sha, "success", "Healthy: synced to "+sha[:7])
	if st != http.StatusCreated {
		t.Fatalf("posting the green status: %d", st)
	}
	out := ps.awaitPromotion(t, good, "stage", "committed")
	released++
	if out.UpdatedAt.Before(green.Add(2 * time.Second)) {
		wrongly++
		t.Errorf("stage released at %s, under 2s after the status turned green at %s", out.UpdatedAt, green)
	}

	// Red: the promotion fails with the status's text and link; dev goes
	// back to 1.0.0, once, by ferry:rollback, and history says why.
	bad, _ := ps.build(t, "2.0.0")
	badSHA := ps.awaitPromotion(t, bad, "dev", "committed").CommitSHA
	ps.awaitPromotion(t, bad, "stage", "waiting")
	if st, _ := ps.postStatus(t, statusToken, badSHA, "failure", "Degraded: payments pods crash-looping"); st != http.StatusCreated {
		t.Fatalf("posting the red status: %d", st)
	}
	failed := ps.awaitPromotion(t, bad, "stage", "failed")
	for _, want := range []string{`status "argocd/payments-dev"`, "is failure", "Degraded: payments pods crash-looping", "https://argocd.example/applications/payments-dev"} {
		if !strings.Contains(failed.Reason, want) {
			t.Errorf("failed stage says %q, want %q in it", failed.Reason, want)
		}
	}
	if strings.Contains(failed.Reason, "timed out") {
		t.Errorf("failed stage says %q: a red status fails at once, not by the timeout", failed.Reason)
	} else {
		failedOnRed++
	}
	if got := ps.fileAt(t, "stage"); strings.Contains(got, "2.0.0") {
		wrongly++
		t.Errorf("stage runs 2.0.0 after its health gate failed:\n%s", got)
	}
	rb := ps.awaitID(t, failed.ID+"-rollback", "committed")
	if rb.ReleaseID != good || rb.Environment != "dev" || rb.RequestedBy != "ferry:rollback" {
		t.Errorf("rollback = %+v, want 1.0.0 back into dev by ferry:rollback", rb)
	}
	if len(rb.Events) == 0 || !strings.Contains(rb.Events[0].Reason, "automatic rollback") || !strings.Contains(rb.Events[0].Reason, failed.ID) {
		t.Errorf("rollback history = %+v, want it to say it is automatic and why", rb.Events)
	}
	if got := ps.fileAt(t, "dev"); !strings.Contains(got, "1.0.0") {
		t.Errorf("dev after the rollback:\n%s", got)
	}
	code, hist := run(t, []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + readToken}, "history", "--application", "payments", "--environment", "dev")
	if code != 0 || !strings.Contains(hist, rb.ID) {
		t.Errorf("ferry history lacks the rollback %s: %d\n%s", rb.ID, code, hist)
	}
	rollbacks++

	// The rollback's own chain into stage waits on the rollback commit;
	// nothing reports on it, so it times out, and a rollback is never
	// rolled back.
	again := ps.awaitPromotion(t, good, "stage", "failed")
	if !strings.Contains(again.Reason, "timed out after 10s") || !strings.Contains(again.Reason, "is missing") {
		t.Errorf("1.0.0 again into stage: %q, want a timeout naming the missing status", again.Reason)
	} else {
		timedOut++
	}
	time.Sleep(2 * time.Second)
	if n := len(ps.healthRollbacks(t)); n != 1 {
		t.Errorf("%d automatic rollbacks, want exactly 1", n)
	}
}
