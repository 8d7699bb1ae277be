package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pinPipelineYAML is a dev → stage → prod pipeline of commits, so that
// every automatic promotion runs without anyone approving it.
func pinPipelineYAML(regHost string) string {
	return `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
  - name: prod
    from: stage
    promotion: commit
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`
}

func startPinStack(t *testing.T) *pipelineStack {
	t.Helper()
	s := &stack{reg: newRegistry(t), data: t.TempDir()}
	s.bare = envRepo(t, s.reg.host, map[string]string{"ferry.yaml": pinPipelineYAML(s.reg.host)})
	addr := freeAddr(t)
	extra := fmt.Sprintf(`  - name: rm-one
    sha256: %s
    scopes: [promotions:write, read]
  - name: rm-two
    sha256: %s
    scopes: [promotions:write, read]
`, sha(rm1Token), sha(rm2Token))
	cfg := strings.Replace(serverConfig(addr, s.data, s.reg.host, s.bare, ""), "worker:\n", extra+"worker:\n", 1)
	path := writeConfig(t, cfg)
	s.f = startFerry(t, addr, "--config", path)
	return &pipelineStack{stack: s, cfg: path, addr: addr}
}

type pinView struct {
	ID, Application, Environment, Held string
	ReleaseID                          string `json:"release_id"`
	ReleaseTag                         string `json:"release_tag"`
	PinnedBy                           string `json:"pinned_by"`
	Reason                             string
	Active                             bool
	EndedBy                            string `json:"ended_by"`
}

func (ps *pipelineStack) pins(t *testing.T, query string) []pinView {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/pins?"+query, readToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/pins?%s: %d %s", query, r.status, r.body)
	}
	var l struct{ Items []pinView }
	r.json(t, &l)
	return l.Items
}

// prodFile is payments' prod kustomization on main.
func (ps *pipelineStack) prodFile(t *testing.T) string {
	return git(t, ps.bare, "show", "main:envs/prod/payments/kustomization.yaml")
}

// through reports tag and waits until it is committed in every environment.
func (ps *pipelineStack) through(t *testing.T, tag string) string {
	t.Helper()
	rel, _ := ps.build(t, tag)
	ps.awaitPromotion(t, rel, "stage", "committed")
	ps.awaitPromotion(t, rel, "prod", "committed")
	return rel
}

func (ps *pipelineStack) digestOf(t *testing.T, release string) string {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/releases/"+release, readToken, nil)
	var rel struct{ Digest string }
	r.json(t, &rel)
	return rel.Digest
}

// TestRollbackPinsTheEnvironment: a rollback with ferry promote pins prod;
// the next CI build goes through dev and stage and waits before prod with
// the pin's reason; ferry unpin lets it through; an explicit promotion into
// a pinned prod goes through and moves the pin. No automatic promotion ever
// goes through a pin.
func TestRollbackPinsTheEnvironment(t *testing.T) {
	ps := startPinStack(t)
	rm1 := []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + rm1Token}
	rm2 := []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + rm2Token}
	var pinned, held, released int

	good := ps.through(t, "1.0.0")
	bad := ps.through(t, "1.0.1")

	// The rollback pins prod at 1.0.0.
	code, out := run(t, rm1, "promote", "--application", "payments", "--environment", "prod", "--release", "1.0.0",
		"--reason", "1.0.1 breaks checkout")
	if code != 0 {
		t.Fatalf("ferry promote (rollback) = %d: %s", code, out)
	}
	ps.awaitPromotion(t, good, "prod", "committed")
	pins := ps.pins(t, "application=payments&environment=prod")
	if len(pins) != 1 || pins[0].ReleaseID != good || pins[0].PinnedBy != "rm-one" || pins[0].Reason != "1.0.1 breaks checkout" {
		t.Fatalf("pins after the rollback: %+v", pins)
	}
	pinned++
	if !strings.Contains(ps.prodFile(t), ps.digestOf(t, good)) {
		t.Fatalf("prod does not run 1.0.0 after the rollback:\n%s", ps.prodFile(t))
	}

	// The next CI build reaches stage and waits before prod.
	next, _ := ps.build(t, "1.0.2")
	ps.awaitPromotion(t, next, "stage", "committed")
	wait := ps.awaitPromotion(t, next, "prod", "waiting")
	if wait.Reason != pins[0].Held || !strings.HasPrefix(wait.Reason, "pinned by rm-one at ") || !strings.HasSuffix(wait.Reason, ": 1.0.1 breaks checkout") {
		t.Errorf("held prod promotion's reason = %q, want %q", wait.Reason, pins[0].Held)
	}
	time.Sleep(3 * time.Second) // six polls of the worker: it must stay held
	if p := ps.promotion(t, wait.ID); p.State != "waiting" || strings.Contains(ps.prodFile(t), ps.digestOf(t, next)) {
		t.Fatalf("1.0.2 went into the pinned prod: %s %s", p.State, p.Reason)
	}
	held++
	code, out = run(t, []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + readToken}, "status", "payments")
	if code != 0 || !strings.Contains(out, "payments is pinned in prod at 1.0.0: pinned by rm-one at ") {
		t.Errorf("ferry status = %d:\n%s", code, out)
	}

	// Unpinning releases it.
	code, out = run(t, rm2, "unpin", "payments", "prod", "--reason", "1.0.2 fixes checkout")
	if code != 0 || !strings.Contains(out, "unpinned payments in prod") {
		t.Fatalf("ferry unpin = %d: %s", code, out)
	}
	ps.awaitPromotion(t, next, "prod", "committed")
	if strings.Contains(ps.prodFile(t), ps.digestOf(t, next)) {
		released++
	}
	if code, out = run(t, rm2, "unpin", "payments", "prod"); code == 0 || !strings.Contains(out, "not_pinned") {
		t.Errorf("a second ferry unpin = %d: %s", code, out)
	}

	// Roll back again; a person's explicit promotion into the pinned prod
	// goes through and pins its own release.
	if code, out = run(t, rm1, "promote", "--application", "payments", "--environment", "prod", "--release", "1.0.0"); code != 0 {
		t.Fatalf("second rollback = %d: %s", code, out)
	}
	pinned++
	fix, _ := ps.build(t, "1.0.3")
	if w := ps.awaitPromotion(t, fix, "prod", "waiting"); strings.HasPrefix(w.Reason, "pinned by rm-one at ") {
		held++
	} else {
		t.Errorf("1.0.3 into prod: %s", w.Reason)
	}
	if code, out = run(t, rm2, "promote", "--application", "payments", "--environment", "prod", "--release", "1.0.3"); code != 0 {
		t.Fatalf("explicit promotion = %d: %s", code, out)
	}
	eventuallyE2E(t, "prod runs 1.0.3", func() bool { return strings.Contains(ps.prodFile(t), ps.digestOf(t, fix)) })
	pins = ps.pins(t, "application=payments&environment=prod")
	if len(pins) != 1 || pins[0].ReleaseID != fix || pins[0].PinnedBy != "rm-two" {
		t.Fatalf("pins after the explicit promotion: %+v", pins)
	}
	later, _ := ps.build(t, "1.0.4")
	if w := ps.awaitPromotion(t, later, "prod", "waiting"); strings.HasPrefix(w.Reason, "pinned by rm-two at ") {
		held++
	} else {
		t.Errorf("1.0.4 into prod: %s", w.Reason)
	}
	if history := ps.pins(t, "application=payments&ended=true"); len(history) != 3 || history[1].EndedBy != "rm-two" || history[2].EndedBy != "rm-two" {
		t.Errorf("pin history: %+v", history)
	}

	// Every automatic promotion that changed prod did so while no pin held
	// another release there: 1.0.0 and 1.0.1 before the first pin, 1.0.2
	// after the unpin.
	overrides := 0
	r := ps.f.call(t, http.MethodGet, "/api/v1/promotions?application=payments&environment=prod&limit=100", readToken, nil)
	var l struct {
		Items []struct {
			ID, State   string
			ReleaseID   string `json:"release_id"`
			RequestedBy string `json:"requested_by"`
			Noop        bool
		}
	}
	r.json(t, &l)
	allowed := map[string]bool{good: true, bad: true, next: true}
	for _, p := range l.Items {
		if p.RequestedBy == "ferry" && p.State == "committed" && !p.Noop && !allowed[p.ReleaseID] {
			overrides++
			t.Errorf("automatic promotion %s went through a pin", p.ID)
		}
	}
	fmt.Printf("pins: rollbacks_pinned=%d held=%d released_after_unpin=%d pinned_overrides=%d\n", pinned, held, released, overrides)
}

// eventuallyE2E polls cond for up to 60 seconds.
func eventuallyE2E(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
