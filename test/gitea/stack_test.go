package gitea

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// Ferry API tokens of every stack: bob's token carries the Gitea user's
// name, so an approval by bob on a promotion bob's token asked for is the
// requester approving their own promotion.
const (
	ciToken      = ferrytest.CIToken
	readToken    = ferrytest.ReadToken
	bobToken     = "gitea-bob-token-0123456789abcdef"
	managerToken = "gitea-release-manager-token-0123456789"
	hookSecret   = "gitea-webhook-secret-0123456789"
)

// pipelineYAML is dev (commit) → stage (one approval, auto-merge) → prod
// (two approvals, auto-merge), with the example repository's applications.
// environments, when not empty, replaces the environments.
func pipelineYAML(t *testing.T, work, environments string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(work, "ferry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, apps, ok := strings.Cut(string(b), "\napplications:")
	if !ok {
		t.Fatal("example ferry.yaml has no applications")
	}
	if environments != "" {
		return environments + "\napplications:" + apps
	}
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

applications:` + apps
}

// stackOptions shape one stack.
type stackOptions struct {
	// noWebhooks leaves the repository without a webhook: only the
	// reconcile poll tells Ferry what happened.
	noWebhooks bool
	// reconcile is worker.reconcileInterval; default 1m, longer than any
	// wait of a test, so what happens within a test came by webhook.
	reconcile string
	// environments replaces the pipeline's environments (YAML from
	// "environments:" on).
	environments string
	// extra is appended to the server config (top-level YAML).
	extra string
}

// stack is one test's repository on the shared Gitea, its registry, its
// ferry and the webhook path between them.
type stack struct {
	t       *testing.T
	name    string // repository name in the acme organisation
	reg     *ferrytest.Registry
	f       *ferrytest.Ferry
	hooks   *hookProxy // nil without webhooks
	closers map[int]string
}

var repoSeq atomic.Int64

// newStack creates a repository on Gitea seeded with the example
// environment repository and the pipeline, gives the writers write access,
// points a webhook at Ferry and starts ferry.
func newStack(t *testing.T, opt stackOptions) *stack {
	t.Helper()
	needHost(t)
	tally.add(func(c *counts) { c.runs++ })
	s := &stack{t: t, reg: ferrytest.NewRegistry(t), closers: map[int]string{}}
	s.name = fmt.Sprintf("envs-%d-%s", repoSeq.Add(1), strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")))
	if len(s.name) > 90 {
		s.name = s.name[:90]
	}
	s.must(admin, http.MethodPost, "/api/v1/orgs/"+org+"/repos",
		map[string]any{"name": s.name, "private": false, "default_branch": "main"}, nil, http.StatusCreated)
	for _, u := range writers {
		s.must(admin, http.MethodPut, s.repoPath("/collaborators/"+u), map[string]any{"permission": "write"}, nil, http.StatusNoContent)
	}
	work := t.TempDir()
	gittest.WriteExample(t, work, s.reg.Host)
	gittest.WriteFile(t, work, "ferry.yaml", pipelineYAML(t, work, opt.environments))
	gittest.Git(t, work, "init", "-q", "-b", "main")
	gittest.Git(t, work, "add", "-A")
	gittest.Git(t, work, "commit", "-q", "-m", "seed")
	push := strings.Replace(s.cloneURL(), "http://", "http://"+admin+":"+host.tokens[admin]+"@", 1)
	gittest.Git(t, work, "push", "-q", push, "main")

	addr := ferrytest.FreeAddr(t)
	if !opt.noWebhooks {
		s.hooks = newHookProxy(t, "http://"+addr)
		s.must(admin, http.MethodPost, s.repoPath("/hooks"), map[string]any{
			"type": "gitea", "active": true, "branch_filter": "*",
			"events": []string{"pull_request", "pull_request_sync", "pull_request_review_approved", "pull_request_review_rejected", "status"},
			"config": map[string]string{"url": s.hooks.URL + "/api/v1/scm/envs/webhook", "content_type": "json", "secret": hookSecret},
		}, nil, http.StatusCreated)
	}
	if opt.reconcile == "" {
		opt.reconcile = "1m"
	}
	cfg := fmt.Sprintf(`listen: %s
dataDir: %s
registries:
  - host: %s
    insecure: true
repositories:
  - name: envs
    url: %s
    branch: main
    auth: {username: %s, token: %s}
    author: {name: Ferry Bot, email: ferry-bot@test.local}
    provider:
      kind: gitea
      url: %s
      project: %s/%s
      token: %s
      webhookSecret: %s
tokens:
  - name: ci
    sha256: %s
    scopes: [builds:write]
    applications: ["*"]
  - name: reader
    sha256: %s
    scopes: [read]
  - name: bob
    sha256: %s
    scopes: [promotions:write]
  - name: release-manager
    sha256: %s
    scopes: [promotions:write]
worker:
  batchWindow: 100ms
  pollInterval: 250ms
  reconcileInterval: %s
  # A Ferry killed while it looks at a pull request holds it until the
  # lease ends (default 2m, longer than the tests wait after a restart).
  lease: 10s
log:
  level: debug
%s`, addr, t.TempDir(), s.reg.Host, s.cloneURL(), bot, host.tokens[bot], host.URL, org, s.name, host.tokens[bot], hookSecret,
		sha(ciToken), sha(readToken), sha(bobToken), sha(managerToken), opt.reconcile, opt.extra)
	p := filepath.Join(t.TempDir(), "ferry-server.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.f = ferrytest.NewFerry(t, ferryBin, addr, p)
	s.f.Start(t)
	t.Cleanup(s.account)
	return s
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func (s *stack) cloneURL() string         { return host.URL + "/" + org + "/" + s.name + ".git" }
func (s *stack) repoPath(p string) string { return "/api/v1/repos/" + org + "/" + s.name + p }

// must calls Gitea's API as user and fails the test unless the status is want.
func (s *stack) must(user, method, path string, in, out any, want int) {
	s.t.Helper()
	st, body, err := host.raw(user, method, path, in)
	if err != nil {
		s.t.Fatalf("%s %s as %s: %v", method, path, user, err)
	}
	if st != want {
		s.t.Fatalf("%s %s as %s: %d %s, want %d", method, path, user, st, body, want)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			s.t.Fatalf("decoding %s %s: %v: %s", method, path, err, body)
		}
	}
}

// pull is a pull request as Gitea's API shows it.
type pull struct {
	Number   int    `json:"number"`
	State    string `json:"state"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Merged   bool   `json:"merged"`
	MergedBy *struct {
		Login string `json:"login"`
	} `json:"merged_by"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
	Head struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

func (s *stack) pull(n int) pull {
	s.t.Helper()
	var p pull
	s.must(admin, http.MethodGet, s.repoPath(fmt.Sprintf("/pulls/%d", n)), nil, &p, http.StatusOK)
	return p
}

// pulls lists the repository's pull requests in state (open, closed, all).
func (s *stack) pulls(state string) []pull {
	s.t.Helper()
	var all []pull
	for page := 1; ; page++ {
		var ps []pull
		s.must(admin, http.MethodGet, s.repoPath(fmt.Sprintf("/pulls?state=%s&limit=50&page=%d", state, page)), nil, &ps, http.StatusOK)
		all = append(all, ps...)
		if len(ps) < 50 {
			return all
		}
	}
}

// review posts a review (APPROVED, REQUEST_CHANGES, COMMENT) as user on
// the pull request's head and returns Gitea's status and the review's id.
func (s *stack) review(user string, n int, event, sha string) (int, int64) {
	s.t.Helper()
	st, body, err := host.raw(user, http.MethodPost, s.repoPath(fmt.Sprintf("/pulls/%d/reviews", n)),
		map[string]any{"event": event, "body": event + " by " + user, "commit_id": sha})
	if err != nil {
		s.t.Fatal(err)
	}
	var r struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &r)
	if st != http.StatusOK {
		s.t.Logf("%s posting %s on #%d: Gitea answered %d %s", user, event, n, st, body)
	}
	return st, r.ID
}

// approve posts an approval that Gitea must accept.
func (s *stack) approve(user string, n int, sha string) {
	s.t.Helper()
	if st, _ := s.review(user, n, "APPROVED", sha); st != http.StatusOK {
		s.t.Fatalf("%s approving #%d: Gitea answered %d", user, n, st)
	}
}

// closeByHand closes a pull request as user, remembered as closed by the test.
func (s *stack) closeByHand(user string, n int) {
	s.t.Helper()
	s.closers[n] = user
	s.must(user, http.MethodPatch, s.repoPath(fmt.Sprintf("/pulls/%d", n)), map[string]any{"state": "closed"}, nil, http.StatusCreated)
}

// mergeByHand merges a pull request as user with a merge commit.
func (s *stack) mergeByHand(user string, n int) {
	s.t.Helper()
	s.must(user, http.MethodPost, s.repoPath(fmt.Sprintf("/pulls/%d/merge", n)), map[string]any{"Do": "merge"}, nil, http.StatusOK)
}

// status sets a commit status on sha as alice (a writer, as CI would be).
func (s *stack) status(sha, state string) {
	s.t.Helper()
	s.must(alice, http.MethodPost, s.repoPath("/statuses/"+sha),
		map[string]any{"state": state, "context": "ci/test", "description": "test " + state}, nil, http.StatusCreated)
}

// build pushes a new image of payments:tag, reports it and waits for its
// dev commit; it returns the release id.
func (s *stack) build(tag string) string {
	s.t.Helper()
	digest, err := s.reg.Push("acme/payments", tag)
	if err != nil {
		s.t.Fatal(err)
	}
	a, state, err := s.f.ReportWait(context.Background(), s.reg.Host, ferrytest.Build{App: "payments", Tag: tag, Digest: digest}, "60s")
	if err != nil || state != "committed" {
		s.t.Fatalf("build %s: %s %v", tag, state, err)
	}
	return a.ReleaseID
}

// ferryCall sends a request to ferry with token and decodes a 2xx answer.
func (s *stack) ferryCall(method, path, token string, in, out any) (int, string) {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.f.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("decoding %s: %v", b, err)
		}
	}
	return resp.StatusCode, string(b)
}

// promote asks ferry, with token, to promote release into env.
func (s *stack) promote(token, release, env string, force bool) api.Promotion {
	s.t.Helper()
	var p api.Promotion
	st, body := s.ferryCall(http.MethodPost, "/api/v1/promotions", token,
		api.PromotionRequest{Application: "payments", Environment: env, Release: release, Force: force}, &p)
	if st/100 != 2 {
		s.t.Fatalf("promoting %s into %s: %d %s", release, env, st, body)
	}
	return p
}

// promotion returns one promotion with its history.
func (s *stack) promotion(id string) api.Promotion {
	s.t.Helper()
	var p api.Promotion
	if st, body := s.ferryCall(http.MethodGet, "/api/v1/promotions/"+id, readToken, nil, &p); st != http.StatusOK {
		s.t.Fatalf("getting promotion %s: %d %s", id, st, body)
	}
	return p
}

// promotionsOf lists the promotions of release into env, newest first.
func (s *stack) promotionsOf(release, env string) []api.Promotion {
	s.t.Helper()
	var l api.PromotionList
	q := url.Values{"release": {release}, "environment": {env}, "application": {"payments"}}
	if st, body := s.ferryCall(http.MethodGet, "/api/v1/promotions?"+q.Encode(), readToken, nil, &l); st != http.StatusOK {
		s.t.Fatalf("listing promotions: %d %s", st, body)
	}
	return l.Items
}

// await waits until the newest promotion of release into env is in state.
func (s *stack) await(release, env, state string) api.Promotion {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := "none"
	for time.Now().Before(deadline) {
		if ps := s.promotionsOf(release, env); len(ps) > 0 {
			last = ps[0].State + ": " + ps[0].Reason
			if ps[0].State == state {
				return s.promotion(ps[0].ID)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("promotion of %s into %s never reached %s (last %s)", release, env, state, last)
	return api.Promotion{}
}

// awaitID waits until promotion id is in state.
func (s *stack) awaitID(id, state string) api.Promotion {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var p api.Promotion
	for time.Now().Before(deadline) {
		if p = s.promotion(id); p.State == state {
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("promotion %s never reached %s (last %s: %s)", id, state, p.State, p.Reason)
	return p
}

// settle waits until Gitea has delivered a webhook of eventType after
// mark (hookProxy.mark) and Ferry answered it, then gives Ferry's worker
// time to act on it: what has not happened by then is not going to.
func (s *stack) settle(eventType string, mark int) {
	s.t.Helper()
	if s.hooks != nil {
		s.hooks.await(s.t, eventType, mark)
	}
	time.Sleep(3 * time.Second)
}

// openPR builds tag and waits for its stage pull request, checks it on
// Gitea and returns the promotion and the pull request.
func (s *stack) openPR(tag string) (string, api.Promotion, pull) {
	s.t.Helper()
	rel := s.build(tag)
	p, pr := s.prFor(rel)
	return rel, p, pr
}

// prFor waits for release's stage pull request and checks it on Gitea.
func (s *stack) prFor(rel string) (api.Promotion, pull) {
	s.t.Helper()
	p := s.await(rel, "stage", "pr-open")
	pr := s.pull(p.PRNumber)
	switch {
	case pr.State != "open" || pr.Merged:
		s.t.Fatalf("stage pull request #%d is %s (merged %v)", pr.Number, pr.State, pr.Merged)
	case !strings.HasPrefix(pr.Head.Ref, "ferry/payments/stage.") || pr.Head.Ref != p.PRBranch || pr.Base.Ref != "main" || pr.Head.SHA != p.CommitSHA:
		s.t.Fatalf("stage pull request #%d: %s → %s at %s, Ferry pushed %s", pr.Number, pr.Head.Ref, pr.Base.Ref, pr.Head.SHA, p.CommitSHA)
	case pr.User.Login != bot:
		s.t.Fatalf("stage pull request #%d opened by %s, want %s", pr.Number, pr.User.Login, bot)
	}
	return p, pr
}

// counted reports whether Ferry counts user's approval on promotion id.
func (s *stack) counted(id, user string) bool {
	p := s.promotion(id)
	for _, a := range p.Approvers {
		if a == user {
			return true
		}
	}
	return false
}

// mustNotCount records an approval that must not count: counted or not.
func (s *stack) mustNotCount(id, user string, self bool) {
	s.t.Helper()
	if s.counted(id, user) || s.promotion(id).State == "merged" {
		tally.add(func(c *counts) {
			c.wrongly++
			if self {
				c.self++
			}
		})
		p := s.promotion(id)
		s.t.Errorf("%s's approval counted: promotion %s is %s (%s), approvers %v", user, id, p.State, p.Reason, p.Approvers)
		return
	}
	tally.add(func(c *counts) { c.uncounted++ })
}

// account adds the repository's pull requests to the tally: every one
// Ferry opened, those merged, and those closed neither by a person in the
// test nor by Ferry on purpose (Ferry comments before it closes).
func (s *stack) account() {
	if host == nil {
		return
	}
	st, body, err := host.raw(admin, http.MethodGet, s.repoPath("/pulls?state=all&limit=50"), nil)
	if err != nil || st != http.StatusOK {
		s.t.Errorf("listing pull requests for the tally: %d %v", st, err)
		return
	}
	var ps []pull
	if err := json.Unmarshal(body, &ps); err != nil {
		s.t.Errorf("decoding pull requests: %v", err)
		return
	}
	for _, p := range ps {
		if p.User.Login != bot {
			continue
		}
		tally.add(func(c *counts) { c.prs++ })
		switch {
		case p.Merged:
			tally.add(func(c *counts) { c.merged++ })
		case p.State == "closed" && s.closers[p.Number] == "" && !s.commentedBy(p.Number, bot):
			tally.add(func(c *counts) { c.race++ })
			s.t.Errorf("pull request #%d was closed by Ferry's own branch handling (no one closed it, Ferry left no comment)", p.Number)
		}
	}
}

// commentedBy reports whether user commented on issue or pull request n.
func (s *stack) commentedBy(n int, user string) bool {
	var cs []struct {
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if st, _ := host.call(admin, http.MethodGet, s.repoPath(fmt.Sprintf("/issues/%d/comments", n)), nil, &cs); st != http.StatusOK {
		return false
	}
	for _, c := range cs {
		if c.User.Login == user {
			return true
		}
	}
	return false
}
