package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	rm1Token = "release-manager-one-0123456789"
	rm2Token = "release-manager-two-0123456789"
	rm3Token = "release-manager-three-0123456789"
)

// pipelineYAML is a dev → stage → prod pipeline with pull requests kept by
// the built-in provider: one approval for stage, two for prod.
func pipelineYAML(regHost string) string {
	return `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: pull-request
    gates: {approvals: 1}
  - name: prod
    from: stage
    promotion: pull-request
    gates: {approvals: 2}
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`
}

type promotionView struct {
	ID, State, Environment, Reason string
	ReleaseID                      string   `json:"release_id"`
	CommitSHA                      string   `json:"commit_sha"`
	MergeSHA                       string   `json:"merge_sha"`
	MergedBy                       string   `json:"merged_by"`
	PRBranch                       string   `json:"pr_branch"`
	Approvers                      []string `json:"approvers"`
	Forced                         bool
	RequestedBy                    string    `json:"requested_by"`
	UpdatedAt                      time.Time `json:"updated_at"`
	Events                         []struct {
		State, Actor, Reason string
	}
}

// pipelineStack runs ferry on a dev → stage → prod pipeline.
type pipelineStack struct {
	*stack
	cfg, addr string
}

func startPipeline(t *testing.T) *pipelineStack {
	t.Helper()
	return startPipelineWith(t, pipelineYAML)
}

// startPipelineWith runs ferry on the pipeline pipeline(registry host).
func startPipelineWith(t *testing.T, pipeline func(regHost string) string) *pipelineStack {
	t.Helper()
	s := &stack{reg: newRegistry(t), data: t.TempDir()}
	s.bare = envRepo(t, s.reg.host, map[string]string{"ferry.yaml": pipeline(s.reg.host)})
	addr := freeAddr(t)
	extra := fmt.Sprintf(`  - name: rm-one
    sha256: %s
    scopes: [promotions:write, read]
  - name: rm-two
    sha256: %s
    scopes: [promotions:write, read]
  - name: rm-three
    sha256: %s
    scopes: [promotions:write, read]
`, sha(rm1Token), sha(rm2Token), sha(rm3Token))
	cfg := serverConfig(addr, s.data, s.reg.host, s.bare, "")
	// A Ferry killed (restart) while it looks at a pull request holds it
	// until the lease ends: 10s, not the default 2m, longer than the tests
	// wait after a restart.
	cfg = strings.Replace(cfg, "worker:\n", extra+"worker:\n  reconcileInterval: 1s\n  lease: 10s\n", 1)
	path := writeConfig(t, cfg)
	s.f = startFerry(t, addr, "--config", path)
	return &pipelineStack{stack: s, cfg: path, addr: addr}
}

// restart stops ferry (kill -9 when hard) and starts it again on the same data.
func (ps *pipelineStack) restart(t *testing.T, hard bool) {
	t.Helper()
	ps.f.stop(t, hard)
	ps.f = startFerry(t, ps.addr, "--config", ps.cfg)
}

func (ps *pipelineStack) build(t *testing.T, tag string) (release, devPromotion string) {
	t.Helper()
	ps.reg.push(t, "acme/payments", tag)
	r := ps.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", ciToken,
		strings.NewReader(buildBody("payments", ps.reg.host+"/acme/payments", tag, "")))
	var a buildAnswer
	r.json(t, &a)
	if r.status != http.StatusAccepted || a.Promotion.State != "committed" {
		t.Fatalf("build %s: %d %s", tag, r.status, r.body)
	}
	return a.Release.ID, a.Promotion.ID
}

func (ps *pipelineStack) promotion(t *testing.T, id string) promotionView {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/promotions/"+id, readToken, nil)
	var p promotionView
	r.json(t, &p)
	return p
}

// awaitPromotion waits for the promotion of release into env to reach state.
func (ps *pipelineStack) awaitPromotion(t *testing.T, release, env, state string) promotionView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		r := ps.f.call(t, http.MethodGet, "/api/v1/promotions?release="+release+"&environment="+env, readToken, nil)
		var l struct{ Items []promotionView }
		r.json(t, &l)
		if len(l.Items) > 0 {
			last = l.Items[0].State + " " + l.Items[0].Reason
			if l.Items[0].State == state {
				return ps.promotion(t, l.Items[0].ID)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("promotion of %s into %s never reached %s (last: %s)", release, env, state, last)
	return promotionView{}
}

func (ps *pipelineStack) decide(t *testing.T, token, id, verb string) promotionView {
	t.Helper()
	r := ps.f.call(t, http.MethodPost, "/api/v1/promotions/"+id+"/"+verb, token, nil)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", verb, id, r.status, r.body)
	}
	var p promotionView
	r.json(t, &p)
	return p
}

func (ps *pipelineStack) promote(t *testing.T, token, env, release string, force bool) response {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"application": "payments", "environment": env, "release": release, "force": force})
	return ps.f.call(t, http.MethodPost, "/api/v1/promotions", token, strings.NewReader(string(b)))
}

// fileAt returns the payments kustomization of env on main.
func (ps *pipelineStack) fileAt(t *testing.T, env string) string {
	return git(t, ps.bare, "show", "main:envs/"+env+"/payments/kustomization.yaml")
}

func digestIn(file string) string {
	for _, l := range strings.Split(file, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "digest: "); ok {
			return v
		}
	}
	return ""
}

func (ps *pipelineStack) releaseDigest(t *testing.T, id string) string {
	r := ps.f.call(t, http.MethodGet, "/api/v1/releases/"+id, readToken, nil)
	var rel struct{ Digest string }
	r.json(t, &rel)
	return rel.Digest
}

func TestPipelineDevStageProd(t *testing.T) {
	ps := startPipeline(t)

	// 1.0.0: dev by commit; stage gets a built-in pull request.
	r100, _ := ps.build(t, "1.0.0")
	stage := ps.awaitPromotion(t, r100, "stage", "pr-open")
	if !strings.HasPrefix(stage.PRBranch, "ferry/payments/stage.") || git(t, ps.bare, "rev-parse", stage.PRBranch) != stage.CommitSHA {
		t.Fatalf("stage PR: %+v", stage)
	}
	if got := git(t, ps.bare, "diff", "--name-only", "main", stage.PRBranch); got != "envs/stage/payments/kustomization.yaml" {
		t.Errorf("PR branch changes %q", got)
	}
	// Approving the stage PR merges it: a merge commit on main.
	ps.decide(t, rm1Token, stage.ID, "approve")
	stage = ps.awaitPromotion(t, r100, "stage", "merged")
	if got := git(t, ps.bare, "rev-list", "--parents", "-n", "1", stage.MergeSHA); len(strings.Fields(got)) != 3 {
		t.Errorf("merge %s is not a merge commit: %q", stage.MergeSHA, got)
	}
	if digestIn(ps.fileAt(t, "stage")) != ps.releaseDigest(t, r100) || stage.MergedBy != "rm-one" {
		t.Errorf("stage after merge: %s, merged by %q", ps.fileAt(t, "stage"), stage.MergedBy)
	}
	prod100 := ps.awaitPromotion(t, r100, "prod", "pr-open")

	// 1.1.0 then 1.2.0: one stage PR; the older promotion is superseded.
	r110, _ := ps.build(t, "1.1.0")
	stage110 := ps.awaitPromotion(t, r110, "stage", "pr-open")
	r120, _ := ps.build(t, "1.2.0")
	stage120 := ps.awaitPromotion(t, r120, "stage", "pr-open")
	if p := ps.promotion(t, stage110.ID); p.State != "superseded" || !strings.Contains(p.Reason, stage120.ID) {
		t.Errorf("older stage promotion: %s %s", p.State, p.Reason)
	}
	if stage120.PRBranch != stage110.PRBranch {
		t.Errorf("a second PR branch: %s vs %s", stage120.PRBranch, stage110.PRBranch)
	}

	// A restart (kill -9) in the middle: the open PR is picked up again.
	ps.restart(t, true)
	ps.decide(t, rm2Token, stage120.ID, "approve")
	ps.awaitPromotion(t, r120, "stage", "merged")
	prod120 := ps.awaitPromotion(t, r120, "prod", "pr-open")
	// The older promotion is superseded once the new one's PR is open; the
	// worker may be looking at the old PR right then, so wait for it.
	if p := ps.awaitPromotion(t, r100, "prod", "superseded"); p.ID != prod100.ID || !strings.Contains(p.Reason, prod120.ID) {
		t.Errorf("prod promotion of 1.0.0: %s %s %s, want %s superseded by %s", p.ID, p.State, p.Reason, prod100.ID, prod120.ID)
	}

	// Prod needs two distinct approvals.
	if p := ps.decide(t, rm1Token, prod120.ID, "approve"); len(p.Approvers) != 1 {
		t.Errorf("approvers after one approval: %v", p.Approvers)
	}
	ps.decide(t, rm1Token, prod120.ID, "approve") // the same person again counts once
	time.Sleep(2500 * time.Millisecond)           // two reconcile intervals
	if p := ps.promotion(t, prod120.ID); p.State != "pr-open" || !strings.Contains(p.Reason, "1 of 2") {
		t.Fatalf("prod after one approver: %s %s", p.State, p.Reason)
	}
	ps.restart(t, false)
	ps.decide(t, rm2Token, prod120.ID, "approve")
	prod120 = ps.awaitPromotion(t, r120, "prod", "merged")
	if digestIn(ps.fileAt(t, "prod")) != ps.releaseDigest(t, r120) {
		t.Errorf("prod file: %s", ps.fileAt(t, "prod"))
	}

	// Reject: cancelling an open PR.
	r130, _ := ps.build(t, "1.3.0")
	stage130 := ps.awaitPromotion(t, r130, "stage", "pr-open")
	ps.decide(t, rm1Token, stage130.ID, "cancel")
	if p := ps.awaitPromotion(t, r130, "stage", "rejected"); !strings.Contains(p.Reason, "cancelled by rm-one") {
		t.Errorf("rejected reason %q", p.Reason)
	}
	if digestIn(ps.fileAt(t, "stage")) != ps.releaseDigest(t, r120) {
		t.Error("a cancelled promotion changed stage")
	}

	// Skipping stage is refused without force, recorded with it.
	r := ps.promote(t, rm1Token, "prod", "1.3.0", false)
	assertProblem(t, r, http.StatusUnprocessableEntity, "skips_environment")
	if r := ps.promote(t, ciToken, "prod", "1.0.0", false); r.status != http.StatusForbidden {
		t.Errorf("a CI token promoted: %d", r.status)
	}

	// Rollback: prod back to 1.0.0, which reached stage before.
	r = ps.promote(t, rm2Token, "prod", "1.0.0", false)
	if r.status != http.StatusAccepted {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	var back promotionView
	r.json(t, &back)
	back = ps.awaitPromotion(t, r100, "prod", "pr-open")
	ps.decide(t, rm1Token, back.ID, "approve")
	// Four eyes: rm-two asked for the rollback and may not approve it.
	own := ps.f.call(t, http.MethodPost, "/api/v1/promotions/"+back.ID+"/approve", rm2Token, nil)
	assertProblem(t, own, http.StatusForbidden, "forbidden")
	if !strings.Contains(string(own.body), "four eyes") {
		t.Errorf("the requester's approval refused without saying why: %s", own.body)
	}
	if p := ps.promotion(t, back.ID); p.State != "pr-open" || len(p.Approvers) != 1 {
		t.Errorf("after the requester's own approval: %s approvers %v", p.State, p.Approvers)
	}
	ps.decide(t, rm3Token, back.ID, "approve")
	back = ps.awaitPromotion(t, r100, "prod", "merged")
	if digestIn(ps.fileAt(t, "prod")) != ps.releaseDigest(t, r100) {
		t.Errorf("prod after rollback: %s", ps.fileAt(t, "prod"))
	}
	if back.RequestedBy != "rm-two" {
		t.Errorf("rollback requested by %q", back.RequestedBy)
	}

	// Forced: recorded with who forced it.
	r = ps.promote(t, rm1Token, "prod", "1.3.0", true)
	var forced promotionView
	r.json(t, &forced)
	if r.status != http.StatusAccepted || !forced.Forced {
		t.Fatalf("forced promotion: %d %s", r.status, r.body)
	}
	forced = ps.promotion(t, forced.ID)
	if len(forced.Events) == 0 || forced.Events[0].Actor != "rm-one" || !strings.Contains(forced.Events[0].Reason, "forced by rm-one") {
		t.Errorf("forced promotion events: %+v", forced.Events)
	}

	// The history of a merged promotion tells who did what.
	h := ps.promotion(t, prod120.ID)
	var states []string
	for _, e := range h.Events {
		states = append(states, e.State+"/"+e.Actor)
	}
	joined := strings.Join(states, " ")
	for _, want := range []string{"pending/ferry", "pr-open/ferry", "pr-open/rm-one", "merged/rm-two"} {
		if !strings.Contains(joined, want) {
			t.Errorf("prod history %q lacks %s", joined, want)
		}
	}

	// Every Ferry commit on main and the PR branches passes fsck; no force push
	// happened on main: the first commit is still an ancestor of main.
	git(t, ps.bare, "fsck", "--no-progress")
	first := git(t, ps.bare, "rev-list", "--max-parents=0", "main")
	git(t, ps.bare, "merge-base", "--is-ancestor", first, "main")
}
