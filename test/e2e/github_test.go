package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/scm/github/githubfake"
)

const (
	ghToken      = "ghp_e2eSecretToken0123456789abcdef"
	ghHookSecret = "e2e-webhook-secret-5f1c9a"
)

// hostedPipelineYAML is dev → stage → prod where stage and prod are pull
// requests on GitHub that Ferry merges itself once approved and green.
func hostedPipelineYAML(regHost string) string {
	return `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: pull-request
    gates: {approvals: 1, autoMerge: true}
  - name: prod
    from: stage
    promotion: pull-request
    gates: {approvals: 2, autoMerge: true}
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`
}

// hostedView is a promotion as the API shows it.
type hostedView struct {
	ID, State, Environment, Reason string
	ReleaseID                      string   `json:"release_id"`
	CommitSHA                      string   `json:"commit_sha"`
	PRNumber                       int      `json:"pr_number"`
	PRURL                          string   `json:"pr_url"`
	PRBranch                       string   `json:"pr_branch"`
	MergeSHA                       string   `json:"merge_sha"`
	MergedBy                       string   `json:"merged_by"`
	Approvers                      []string `json:"approvers"`
	Events                         []struct{ State, Actor, Reason string }
}

// githubStack is ferry on a dev → stage → prod pipeline whose pull
// requests live on a fake GitHub Enterprise.
type githubStack struct {
	*stack
	gh      *githubfake.Server
	answers []string // every body Ferry answered, searched for secrets
}

func startGitHubStack(t *testing.T) *githubStack {
	t.Helper()
	return startGitHubStackWith(t, hostedPipelineYAML, "1s")
}

// startGitHubStackWith runs ferry on the pipeline pipeline(registry host)
// with worker.reconcileInterval reconcile.
func startGitHubStackWith(t *testing.T, pipeline func(regHost string) string, reconcile string) *githubStack {
	t.Helper()
	s := &stack{reg: newRegistry(t), data: t.TempDir()}
	s.bare = envRepo(t, s.reg.host, map[string]string{"ferry.yaml": pipeline(s.reg.host)})
	gh := githubfake.New(t, "acme/envs", ghToken)
	gh.SetBare(s.bare)
	addr := freeAddr(t)
	cfg := serverConfig(addr, s.data, s.reg.host, s.bare, "")
	author := "    author: {name: Ferry Test, email: ferry@test.local}\n"
	cfg = strings.Replace(cfg, author, author+fmt.Sprintf(`    provider:
      kind: github
      url: %s
      project: acme/envs
      token: %s
      webhookSecret: %s
`, gh.URL, ghToken, ghHookSecret), 1)
	cfg = strings.Replace(cfg, "worker:\n", "worker:\n  reconcileInterval: "+reconcile+"\n", 1)
	s.f = startFerry(t, addr, "--config", writeConfig(t, cfg))
	return &githubStack{stack: s, gh: gh}
}

func (gs *githubStack) call(t *testing.T, method, path, token string, body string, headers ...string) response {
	t.Helper()
	var r response
	if body == "" {
		r = gs.f.call(t, method, path, token, nil, headers...)
	} else {
		r = gs.f.call(t, method, path, token, strings.NewReader(body), headers...)
	}
	gs.answers = append(gs.answers, string(r.body))
	return r
}

// build reports payments:tag and waits for its dev commit.
func (gs *githubStack) build(t *testing.T, tag string) (release, digest string) {
	t.Helper()
	gs.reg.push(t, "acme/payments", tag)
	r := gs.call(t, http.MethodPost, "/api/v1/builds?wait=60s", ciToken, buildBody("payments", gs.reg.host+"/acme/payments", tag, ""))
	var a buildAnswer
	r.json(t, &a)
	if r.status != http.StatusAccepted || a.Promotion.State != "committed" {
		t.Fatalf("build %s: %d %s", tag, r.status, r.body)
	}
	return a.Release.ID, a.Release.Digest
}

// await waits for the promotion of release into env to reach state.
func (gs *githubStack) await(t *testing.T, release, env, state string) hostedView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := "none"
	for time.Now().Before(deadline) {
		r := gs.call(t, http.MethodGet, "/api/v1/promotions?release="+release+"&environment="+env, readToken, "")
		var l struct{ Items []hostedView }
		r.json(t, &l)
		if len(l.Items) > 0 {
			last = l.Items[0].State + ": " + l.Items[0].Reason
			if l.Items[0].State == state {
				return gs.promotion(t, l.Items[0].ID)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("promotion of %s into %s never reached %s (last %s)", release, env, state, last)
	return hostedView{}
}

func (gs *githubStack) promotion(t *testing.T, id string) hostedView {
	t.Helper()
	var p hostedView
	gs.call(t, http.MethodGet, "/api/v1/promotions/"+id, readToken, "").json(t, &p)
	return p
}

// hook sends a signed GitHub delivery and checks it is accepted.
func (gs *githubStack) hook(t *testing.T, event, delivery string, body []byte) {
	t.Helper()
	r := gs.call(t, http.MethodPost, "/api/v1/scm/envs/webhook", "", string(body),
		"X-GitHub-Event", event, "X-GitHub-Delivery", delivery, "X-Hub-Signature-256", githubfake.Sign(ghHookSecret, body),
		"User-Agent", "GitHub-Hookshot/044aadd")
	var w struct {
		Delivery, Kind string
		Duplicate      bool
	}
	r.json(t, &w)
	if r.status != http.StatusAccepted || w.Delivery != delivery || w.Duplicate {
		t.Fatalf("webhook %s %s: %d %s", event, delivery, r.status, r.body)
	}
}

// still checks for a while that a promotion stays pr-open with reason.
func (gs *githubStack) still(t *testing.T, id, reason string, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if p := gs.promotion(t, id); p.State != "pr-open" || p.Reason != reason {
		t.Fatalf("after %s: %s %q, want pr-open %q", d, p.State, p.Reason, reason)
	}
}

func (gs *githubStack) fileAt(t *testing.T, env string) string {
	return git(t, gs.bare, "show", "main:envs/"+env+"/payments/kustomization.yaml")
}

// TestGitHubPipeline takes releases from CI to prod through pull requests
// on a fake GitHub that answers as its REST API documents, with the real
// binary and a real bare repository: approvals on the host and webhooks
// are the only human input.
func TestGitHubPipeline(t *testing.T) {
	gs := startGitHubStack(t)
	gh := gs.gh

	// 1.0.0: dev by commit, then a stage pull request on GitHub.
	r100, d100 := gs.build(t, "1.0.0")
	stage := gs.await(t, r100, "stage", "pr-open")
	pr1, ok := gh.Pull(stage.PRNumber)
	switch {
	case !ok:
		t.Fatalf("stage promotion names pull request #%d, which GitHub does not have", stage.PRNumber)
	case !strings.HasPrefix(pr1.Head, "ferry/payments/stage.") || pr1.Head != stage.PRBranch || pr1.Base != "main" || pr1.HeadSHA != stage.CommitSHA:
		t.Errorf("stage pull request: %s → %s at %s, promotion pushed %s", pr1.Head, pr1.Base, pr1.HeadSHA, stage.CommitSHA)
	case stage.PRURL != gh.URL+"/acme/envs/pull/"+fmt.Sprint(stage.PRNumber):
		t.Errorf("pr_url %q", stage.PRURL)
	case !strings.HasPrefix(pr1.Title, "payments: stage ← 1.0.0 ("):
		t.Errorf("title %q", pr1.Title)
	}
	for _, want := range []string{"Ferry promotes **payments** to **stage** (from dev)", "`" + d100 + "`",
		"CI run: https://ci.example.com/runs/42", "Files changed: `envs/stage/payments/kustomization.yaml` (kustomize)",
		"Ferry promotion `" + stage.ID + "`", "Needs 1 approval(s)"} {
		if !strings.Contains(pr1.Body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, pr1.Body)
		}
	}
	if got := git(t, gs.bare, "diff", "--name-only", "main", pr1.HeadSHA); got != "envs/stage/payments/kustomization.yaml" {
		t.Errorf("the pull request changes %q", got)
	}

	// Green checks and one approval, told by a webhook: Ferry merges.
	gh.SetStatus(pr1.HeadSHA, "success")
	gh.Review(stage.PRNumber, "alice", "APPROVED")
	gs.hook(t, "pull_request_review", "d-stage-review", gh.ReviewHook(stage.PRNumber, "alice"))
	stage = gs.await(t, r100, "stage", "merged")
	if pr1, _ = gh.Pull(stage.PRNumber); !pr1.Merged || stage.MergeSHA != pr1.MergeSHA || stage.MergedBy != "ferry" {
		t.Errorf("stage merged at %s by %q; GitHub: merged %v at %s", stage.MergeSHA, stage.MergedBy, pr1.Merged, pr1.MergeSHA)
	}
	if !slices.Equal(stage.Approvers, []string{"alice"}) {
		t.Errorf("stage approvers %v", stage.Approvers)
	}
	if parents := strings.Fields(git(t, gs.bare, "rev-list", "--parents", "-n", "1", stage.MergeSHA)); len(parents) != 3 || parents[2] != pr1.HeadSHA {
		t.Errorf("merge %s: parents %v, want main and %s", stage.MergeSHA, parents, pr1.HeadSHA)
	}
	if git(t, gs.bare, "rev-parse", "main") != stage.MergeSHA || digestIn(gs.fileAt(t, "stage")) != d100 {
		t.Errorf("main after the stage merge: %s\n%s", git(t, gs.bare, "rev-parse", "main"), gs.fileAt(t, "stage"))
	}

	// prod needs two distinct approvals and green checks.
	prod := gs.await(t, r100, "prod", "pr-open")
	pr2, _ := gh.Pull(prod.PRNumber)
	if prod.PRNumber == stage.PRNumber || !strings.HasPrefix(pr2.Head, "ferry/payments/prod.") || pr2.Head != prod.PRBranch {
		t.Fatalf("prod pull request #%d from %s", prod.PRNumber, pr2.Head)
	}
	gh.SetStatus(pr2.HeadSHA, "pending")
	gh.Review(prod.PRNumber, "alice", "APPROVED")
	gh.Review(prod.PRNumber, "alice", "APPROVED") // the same person twice counts once
	gs.hook(t, "pull_request_review", "d-prod-review-1", gh.ReviewHook(prod.PRNumber, "alice"))
	gs.still(t, prod.ID, "waiting for approvals: 1 of 2", 2500*time.Millisecond)
	gh.Review(prod.PRNumber, "bob", "APPROVED")
	gs.hook(t, "pull_request_review", "d-prod-review-2", gh.ReviewHook(prod.PRNumber, "bob"))
	gs.still(t, prod.ID, "approved; merging when checks pass", 2500*time.Millisecond)
	mergePath := func(n int) string { return fmt.Sprintf("%s/pulls/%d/merge", gh.Prefix(), n) }
	if n := gh.Count("PUT", mergePath(prod.PRNumber)); n != 0 {
		t.Fatalf("prod merged %d times before its checks passed", n)
	}
	gh.SetStatus(pr2.HeadSHA, "success")
	status, _ := json.Marshal(map[string]any{"sha": pr2.HeadSHA, "state": "success", "context": "ci/deploy-preview",
		"repository": map[string]any{"full_name": "acme/envs"}, "sender": map[string]any{"login": "ci-bot"}})
	gs.hook(t, "status", "d-prod-status", status)
	prod = gs.await(t, r100, "prod", "merged")
	if pr2, _ = gh.Pull(prod.PRNumber); prod.MergeSHA != pr2.MergeSHA || !slices.Equal(prod.Approvers, []string{"alice", "bob"}) {
		t.Errorf("prod merged at %s (GitHub %s), approvers %v", prod.MergeSHA, pr2.MergeSHA, prod.Approvers)
	}
	if digestIn(gs.fileAt(t, "prod")) != d100 {
		t.Errorf("prod file after the merge:\n%s", gs.fileAt(t, "prod"))
	}
	var history []string
	for _, e := range prod.Events {
		history = append(history, e.State+"/"+e.Actor)
	}
	if h := strings.Join(history, " "); !strings.HasPrefix(h, "pending/ferry") || !strings.Contains(h, "pr-open/ferry") || !strings.HasSuffix(h, "merged/ferry") {
		t.Errorf("prod history: %s", h)
	}

	// 1.1.0: its stage pull request is closed on GitHub: rejected.
	r110, _ := gs.build(t, "1.1.0")
	stage110 := gs.await(t, r110, "stage", "pr-open")
	gh.ClosePR(stage110.PRNumber, "carol")
	gs.hook(t, "pull_request", "d-closed", gh.PullRequestHook(stage110.PRNumber, "closed", "carol"))
	if p := gs.await(t, r110, "stage", "rejected"); !strings.Contains(p.Reason, fmt.Sprintf("pull request #%d closed without merging by carol", stage110.PRNumber)) {
		t.Errorf("rejected: %q", p.Reason)
	}
	if digestIn(gs.fileAt(t, "stage")) != d100 {
		t.Error("a closed pull request changed stage")
	}

	// 1.2.0: approved on GitHub, and the webhook never arrives: the
	// reconciler's poll merges it all the same.
	r120, d120 := gs.build(t, "1.2.0")
	stage120 := gs.await(t, r120, "stage", "pr-open")
	if stage120.PRNumber == stage110.PRNumber {
		t.Errorf("1.2.0 reuses the closed pull request #%d", stage110.PRNumber)
	}
	gh.Review(stage120.PRNumber, "dave", "APPROVED")
	stage120 = gs.await(t, r120, "stage", "merged")
	if digestIn(gs.fileAt(t, "stage")) != d120 {
		t.Errorf("stage after the polled merge:\n%s", gs.fileAt(t, "stage"))
	}
	prod120 := gs.await(t, r120, "prod", "pr-open")

	// 1.3.0 then 1.4.0: one stage pull request, updated in place.
	r130, _ := gs.build(t, "1.3.0")
	stage130 := gs.await(t, r130, "stage", "pr-open")
	creates := gh.Count("POST", gh.Prefix()+"/pulls")
	r140, d140 := gs.build(t, "1.4.0")
	stage140 := gs.await(t, r140, "stage", "pr-open")
	if stage140.PRNumber != stage130.PRNumber {
		t.Errorf("1.4.0 opened pull request #%d, want #%d updated", stage140.PRNumber, stage130.PRNumber)
	}
	if p := gs.promotion(t, stage130.ID); p.State != "superseded" || !strings.Contains(p.Reason, stage140.ID) {
		t.Errorf("1.3.0's stage promotion: %s %q", p.State, p.Reason)
	}
	pr6, _ := gh.Pull(stage140.PRNumber)
	if !strings.HasPrefix(pr6.Title, "payments: stage ← 1.4.0 (") || !strings.Contains(pr6.Body, d140) || pr6.HeadSHA != stage140.CommitSHA {
		t.Errorf("updated pull request: %q at %s (Ferry pushed %s)\n%s", pr6.Title, pr6.HeadSHA, stage140.CommitSHA, pr6.Body)
	}
	if n := gh.Count("POST", gh.Prefix()+"/pulls"); n != creates {
		t.Errorf("%d pull requests created for 1.4.0, want the open one updated", n-creates)
	}
	if n := gh.Count("PATCH", fmt.Sprintf("%s/pulls/%d", gh.Prefix(), stage140.PRNumber)); n != 1 {
		t.Errorf("PATCH of pull request #%d: %d times, want 1", stage140.PRNumber, n)
	}

	// The requests Ferry made: only this repository's documented endpoints,
	// each with the token; pull requests created once each, merges once
	// each at the head Ferry had checked, and nothing closed.
	allowed := regexp.MustCompile(`^(GET|POST) ` + regexp.QuoteMeta(gh.Prefix()) + `/pulls$|` +
		`^(GET|PATCH) ` + regexp.QuoteMeta(gh.Prefix()) + `/pulls/[0-9]+$|` +
		`^GET ` + regexp.QuoteMeta(gh.Prefix()) + `/pulls/[0-9]+/reviews$|` +
		// who closed a pull request closed by hand
		`^GET ` + regexp.QuoteMeta(gh.Prefix()) + `/issues/[0-9]+/events$|` +
		`^PUT ` + regexp.QuoteMeta(gh.Prefix()) + `/pulls/[0-9]+/merge$|` +
		`^GET ` + regexp.QuoteMeta(gh.Prefix()) + `/commits/[0-9a-f]{40}/(status|check-runs)$|` +
		// reviewers' permissions, and the base branch's required checks
		`^GET ` + regexp.QuoteMeta(gh.Prefix()) + `/collaborators/[a-z]+/permission$|` +
		`^GET ` + regexp.QuoteMeta(gh.Prefix()) + `/(rules/)?branches/main$`)
	merges := map[string]int{}
	for _, c := range gh.Calls() {
		if !allowed.MatchString(c.Method + " " + c.Path) {
			t.Errorf("unexpected request %s", c)
		}
		if c.Auth != "Bearer "+ghToken {
			t.Errorf("%s: Authorization %q", c, c.Auth)
		}
		switch {
		case c.Method == "PUT":
			var m struct{ SHA, MergeMethod string }
			_ = json.Unmarshal(c.Body, &m)
			merges[c.Path]++
			n := 0
			fmt.Sscanf(strings.TrimPrefix(c.Path, gh.Prefix()+"/pulls/"), "%d", &n)
			p, _ := gh.Pull(n)
			if !strings.Contains(string(c.Body), `"sha":"`+p.HeadSHA+`"`) || !strings.Contains(string(c.Body), `"merge_method":"merge"`) {
				t.Errorf("%s: body %s, want sha %s and merge_method merge", c, c.Body, p.HeadSHA)
			}
		case c.Method == "PATCH" && strings.Contains(string(c.Body), `"state"`):
			t.Errorf("%s closes a pull request: %s", c, c.Body)
		case c.Method == "GET" && strings.HasSuffix(c.Path, "/pulls"):
			if q := c.Query; !strings.Contains(q, "head=acme%3Aferry%2Fpayments%2F") || !strings.Contains(q, "state=open") {
				t.Errorf("%s: want open pull requests of a ferry/ branch", c)
			}
		}
	}
	wantMerges := map[string]int{mergePath(stage.PRNumber): 1, mergePath(prod.PRNumber): 1, mergePath(stage120.PRNumber): 1}
	if fmt.Sprint(merges) != fmt.Sprint(wantMerges) {
		t.Errorf("merges %v, want %v", merges, wantMerges)
	}
	if creates := gh.Count("POST", gh.Prefix()+"/pulls"); creates != 6 {
		t.Errorf("%d pull requests created, want 6 (stage and prod of 1.0.0, stage of 1.1.0, stage and prod of 1.2.0, stage of 1.3.0)", creates)
	}
	if open := gh.OpenPulls(); !slices.Equal(open, []int{prod120.PRNumber, stage140.PRNumber}) {
		t.Errorf("open pull requests %v, want prod of 1.2.0 (#%d) and stage of 1.4.0 (#%d)", open, prod120.PRNumber, stage140.PRNumber)
	}

	// The bare repository: releases pinned where they were merged, merge
	// commits from GitHub on main, Ferry's trailers on the merged heads,
	// and no force push.
	if digestIn(gs.fileAt(t, "dev")) != d140 || digestIn(gs.fileAt(t, "stage")) != d120 || digestIn(gs.fileAt(t, "prod")) != d100 {
		t.Errorf("main holds dev %s, stage %s, prod %s", digestIn(gs.fileAt(t, "dev")), digestIn(gs.fileAt(t, "stage")), digestIn(gs.fileAt(t, "prod")))
	}
	merged := lines(git(t, gs.bare, "log", "--merges", "--format=%s", "main"))
	wantLog := []string{
		fmt.Sprintf("Merge pull request #%d from acme/%s", stage120.PRNumber, stage120.PRBranch),
		fmt.Sprintf("Merge pull request #%d from acme/%s", prod.PRNumber, prod.PRBranch),
		fmt.Sprintf("Merge pull request #%d from acme/%s", stage.PRNumber, stage.PRBranch),
	}
	if !slices.Equal(merged, wantLog) {
		t.Errorf("merge commits on main %q, want %q", merged, wantLog)
	}
	if msg := git(t, gs.bare, "log", "-1", "--format=%B", stage.MergeSHA+"^2"); !strings.Contains(msg, "Ferry-Promotion: "+stage.ID) {
		t.Errorf("the merged stage head lacks its trailer:\n%s", msg)
	}
	git(t, gs.bare, "fsck", "--no-progress")
	first := git(t, gs.bare, "rev-list", "--max-parents=0", "main")
	git(t, gs.bare, "merge-base", "--is-ancestor", first, "main")

	// No secret anywhere: not in ferry's output, its answers, the
	// requests' bodies, nor the repository.
	where := map[string]string{
		"ferry output": gs.f.output(),
		"answers":      strings.Join(gs.answers, "\n"),
		"git history":  git(t, gs.bare, "log", "-p", "--all"),
	}
	for _, c := range gh.Calls() {
		where["request bodies"] += string(c.Body) + "\n" + c.Query + "\n"
	}
	for name, text := range where {
		for _, secret := range []string{ghToken, ghHookSecret} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a secret", name)
			}
		}
	}
}
