package e2e

// This file is kept identical (but for its package clause) to
// internal/server/githubfake_test.go: a hosted API cannot run here, so both
// suites talk to this stateful stand-in answering as GitHub's REST API
// documents it (https://docs.github.com/rest/pulls).

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub is a GitHub Enterprise REST API (under /api/v3/) for one
// repository whose Git data is a bare repository on disk: pull request
// heads are its branches, and a merge is a real merge commit pushed to it.
type fakeGitHub struct {
	*httptest.Server
	t           testing.TB
	owner, repo string
	token       string // the only token the API accepts
	bot         string // the login the token belongs to

	mu       sync.Mutex
	bare     string
	pulls    map[int]*fakePull
	reviews  map[int][]fakeReview
	statuses map[string]string // combined status by commit: success, pending, failure
	calls    []fakeCall
	nextID   int
}

type fakePull struct {
	number              int
	state               string // open, closed
	title, body         string
	head, base          string
	headSHA             string // frozen once closed
	merged              bool
	mergeSHA, mergedBy  string
	createdAt, updateAt time.Time
}

type fakeReview struct {
	id          int
	user, state string
	commitID    string
}

// fakeCall is one request the fake received.
type fakeCall struct {
	Method, Path, Query string
	Body                []byte
	Auth                string
}

// String is "METHOD path" (with "?query" when there is one).
func (c fakeCall) String() string {
	if c.Query != "" {
		return c.Method + " " + c.Path + "?" + c.Query
	}
	return c.Method + " " + c.Path
}

func newFakeGitHub(t testing.TB, project, token string) *fakeGitHub {
	owner, repo, _ := strings.Cut(project, "/")
	f := &fakeGitHub{
		t: t, owner: owner, repo: repo, token: token, bot: "ferry-bot",
		pulls: map[int]*fakePull{}, reviews: map[int][]fakeReview{}, statuses: map[string]string{},
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// setBare names the bare repository the pull requests live in.
func (f *fakeGitHub) setBare(bare string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bare = bare
}

// Calls returns the requests received so far.
func (f *fakeGitHub) Calls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// count returns how many requests were "METHOD path" (query ignored).
func (f *fakeGitHub) count(method, path string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

// prefix is the API path of the repository.
func (f *fakeGitHub) prefix() string { return "/api/v3/repos/" + f.owner + "/" + f.repo }

// pull returns a copy of pull request n.
func (f *fakeGitHub) pull(n int) (fakePull, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pulls[n]
	if !ok {
		return fakePull{}, false
	}
	f.refresh(p)
	return *p, true
}

// openPulls returns the numbers of the open pull requests.
func (f *fakeGitHub) openPulls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for n, p := range f.pulls {
		if p.state == "open" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// review records a review by user on the pull request's current head.
func (f *fakeGitHub) review(n int, user, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n]
	f.refresh(p)
	f.nextID++
	f.reviews[n] = append(f.reviews[n], fakeReview{id: f.nextID, user: user, state: state, commitID: p.headSHA})
}

// setStatus sets the combined commit status of sha.
func (f *fakeGitHub) setStatus(sha, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[sha] = state
}

// close closes pull request n unmerged, as a person on the web page would.
func (f *fakeGitHub) close(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n]
	f.refresh(p)
	p.state, p.updateAt = "closed", time.Now().UTC()
}

// refresh follows the head branch of an open pull request, as GitHub does.
func (f *fakeGitHub) refresh(p *fakePull) {
	if p.state != "open" {
		return
	}
	if sha, err := f.git("", "rev-parse", "--verify", "-q", "refs/heads/"+p.head); err == nil {
		p.headSHA = sha
	}
}

// git runs the git CLI on the bare repository (dir "") or in dir.
func (f *fakeGitHub) git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if dir == "" {
		cmd.Dir = f.bare
	}
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=GitHub", "GIT_AUTHOR_EMAIL=noreply@github.com",
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

var (
	rePulls   = regexp.MustCompile(`^/pulls$`)
	rePull    = regexp.MustCompile(`^/pulls/([0-9]+)$`)
	reReviews = regexp.MustCompile(`^/pulls/([0-9]+)/reviews$`)
	reMerge   = regexp.MustCompile(`^/pulls/([0-9]+)/merge$`)
	reStatus  = regexp.MustCompile(`^/commits/([0-9a-f]{40})/status$`)
	reRuns    = regexp.MustCompile(`^/commits/([0-9a-f]{40})/check-runs$`)
	reComment = regexp.MustCompile(`^/issues/([0-9]+)/comments$`)
)

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Auth: r.Header.Get("Authorization")})

	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.answer(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, f.prefix())
	if !ok {
		f.notFound(w)
		return
	}
	var m []string
	num := func() int { n, _ := strconv.Atoi(m[1]); return n }
	switch {
	case r.Method == http.MethodGet && rePulls.MatchString(rest):
		f.listPulls(w, r)
	case r.Method == http.MethodPost && rePulls.MatchString(rest):
		f.createPull(w, body)
	case r.Method == http.MethodGet && match(&m, rePull, rest):
		if p, ok := f.pulls[num()]; ok {
			f.refresh(p)
			f.answer(w, http.StatusOK, f.pullJSON(p))
		} else {
			f.notFound(w)
		}
	case r.Method == http.MethodPatch && match(&m, rePull, rest):
		f.editPull(w, num(), body)
	case r.Method == http.MethodGet && match(&m, reReviews, rest):
		f.listReviews(w, num())
	case r.Method == http.MethodPut && match(&m, reMerge, rest):
		f.merge(w, num(), body)
	case r.Method == http.MethodGet && match(&m, reStatus, rest):
		state, ok := f.statuses[m[1]]
		n := 1
		if !ok {
			state, n = "pending", 0 // what GitHub says when there are none
		}
		f.answer(w, http.StatusOK, map[string]any{"state": state, "sha": m[1], "total_count": n, "statuses": []any{}})
	case r.Method == http.MethodGet && match(&m, reRuns, rest):
		f.answer(w, http.StatusOK, map[string]any{"total_count": 0, "check_runs": []any{}})
	case r.Method == http.MethodPost && match(&m, reComment, rest):
		f.nextID++
		f.answer(w, http.StatusCreated, map[string]any{"id": f.nextID, "body": "", "user": map[string]any{"login": f.bot}})
	default:
		f.notFound(w)
	}
}

func match(m *[]string, re *regexp.Regexp, s string) bool {
	*m = re.FindStringSubmatch(s)
	return *m != nil
}

func (f *fakeGitHub) answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) notFound(w http.ResponseWriter) {
	f.answer(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func (f *fakeGitHub) unprocessable(w http.ResponseWriter, msg string) {
	f.answer(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": []any{map[string]any{"resource": "PullRequest", "code": "custom", "message": msg}},
		"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
	})
}

func (f *fakeGitHub) pullJSON(p *fakePull) map[string]any {
	web := f.URL + "/" + f.owner + "/" + f.repo
	out := map[string]any{
		"url":      f.URL + f.prefix() + "/pulls/" + strconv.Itoa(p.number),
		"html_url": web + "/pull/" + strconv.Itoa(p.number),
		"number":   p.number, "state": p.state, "title": p.title, "body": p.body,
		"user":             map[string]any{"login": f.bot},
		"head":             map[string]any{"label": f.owner + ":" + p.head, "ref": p.head, "sha": p.headSHA},
		"base":             map[string]any{"label": f.owner + ":" + p.base, "ref": p.base},
		"merged":           p.merged,
		"merged_at":        nil,
		"merge_commit_sha": nil,
		"merged_by":        nil,
		"created_at":       p.createdAt.Format(time.RFC3339),
		"updated_at":       p.updateAt.Format(time.RFC3339),
	}
	if p.merged {
		out["merged_at"] = p.updateAt.Format(time.RFC3339)
		out["merge_commit_sha"] = p.mergeSHA
		out["merged_by"] = map[string]any{"login": p.mergedBy}
	}
	return out
}

func (f *fakeGitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var nums []int
	for n := range f.pulls {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	out := []any{}
	for _, n := range nums {
		p := f.pulls[n]
		f.refresh(p)
		if (state != "all" && p.state != state) || (q.Get("head") != "" && q.Get("head") != f.owner+":"+p.head) {
			continue
		}
		out = append(out, f.pullJSON(p))
	}
	f.answer(w, http.StatusOK, out)
}

func (f *fakeGitHub) createPull(w http.ResponseWriter, body []byte) {
	var req struct{ Title, Head, Base, Body string }
	if err := json.Unmarshal(body, &req); err != nil || req.Title == "" || req.Head == "" || req.Base == "" {
		f.unprocessable(w, "title, head and base are required")
		return
	}
	sha, err := f.git("", "rev-parse", "--verify", "-q", "refs/heads/"+req.Head)
	if err != nil {
		f.unprocessable(w, "head: invalid")
		return
	}
	for _, p := range f.pulls {
		if p.state == "open" && p.head == req.Head {
			f.unprocessable(w, "A pull request already exists for "+f.owner+":"+req.Head+".")
			return
		}
	}
	now := time.Now().UTC()
	p := &fakePull{number: len(f.pulls) + 1, state: "open", title: req.Title, body: req.Body,
		head: req.Head, base: req.Base, headSHA: sha, createdAt: now, updateAt: now}
	f.pulls[p.number] = p
	f.answer(w, http.StatusCreated, f.pullJSON(p))
}

func (f *fakeGitHub) editPull(w http.ResponseWriter, n int, body []byte) {
	p, ok := f.pulls[n]
	if !ok {
		f.notFound(w)
		return
	}
	var req struct {
		Title, Body, State *string
		Base               *string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.unprocessable(w, "invalid body")
		return
	}
	f.refresh(p)
	if req.Title != nil {
		p.title = *req.Title
	}
	if req.Body != nil {
		p.body = *req.Body
	}
	if req.Base != nil {
		p.base = *req.Base
	}
	if req.State != nil && !p.merged {
		p.state = *req.State
	}
	p.updateAt = time.Now().UTC()
	f.answer(w, http.StatusOK, f.pullJSON(p))
}

func (f *fakeGitHub) listReviews(w http.ResponseWriter, n int) {
	if _, ok := f.pulls[n]; !ok {
		f.notFound(w)
		return
	}
	out := []any{}
	for _, rv := range f.reviews[n] {
		out = append(out, map[string]any{
			"id": rv.id, "user": map[string]any{"login": rv.user}, "state": rv.state,
			"commit_id": rv.commitID, "submitted_at": time.Now().UTC().Format(time.RFC3339),
		})
	}
	f.answer(w, http.StatusOK, out)
}

// merge merges the head into the base with a merge commit made by the git
// CLI in a scratch clone and pushed to the bare repository.
func (f *fakeGitHub) merge(w http.ResponseWriter, n int, body []byte) {
	p, ok := f.pulls[n]
	if !ok {
		f.notFound(w)
		return
	}
	var req struct {
		SHA         string `json:"sha"`
		MergeMethod string `json:"merge_method"`
	}
	_ = json.Unmarshal(body, &req)
	f.refresh(p)
	switch {
	case p.state != "open":
		f.answer(w, http.StatusMethodNotAllowed, map[string]any{"message": "Pull Request is not mergeable"})
		return
	case req.SHA != "" && req.SHA != p.headSHA:
		f.answer(w, http.StatusConflict, map[string]any{"message": "Head branch was modified. Review and try the merge again."})
		return
	case req.MergeMethod != "" && req.MergeMethod != "merge":
		f.answer(w, http.StatusMethodNotAllowed, map[string]any{"message": "Merge method " + req.MergeMethod + " is not allowed on this repository"})
		return
	}
	sha, err := f.mergeInGit(p)
	if err != nil {
		f.t.Errorf("fake GitHub: merging #%d: %v", n, err)
		f.answer(w, http.StatusMethodNotAllowed, map[string]any{"message": "Pull Request is not mergeable"})
		return
	}
	p.state, p.merged, p.mergeSHA, p.mergedBy, p.updateAt = "closed", true, sha, f.bot, time.Now().UTC()
	f.answer(w, http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (f *fakeGitHub) mergeInGit(p *fakePull) (string, error) {
	dir, err := os.MkdirTemp("", "fake-github-merge-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	work := filepath.Join(dir, "w")
	steps := [][]string{
		{"clone", "-q", "--branch", p.base, f.bare, work},
		{"-C", work, "fetch", "-q", "origin", p.headSHA},
		{"-C", work, "merge", "-q", "--no-ff", "-m", fmt.Sprintf("Merge pull request #%d from %s/%s", p.number, f.owner, p.head), p.headSHA},
		{"-C", work, "push", "-q", "origin", "HEAD:refs/heads/" + p.base},
	}
	for _, s := range steps {
		if _, err := f.git(dir, s...); err != nil {
			return "", err
		}
	}
	return f.git(work, "rev-parse", "HEAD")
}

// hookSign is GitHub's X-Hub-Signature-256 of body under secret.
func hookSign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// reviewHook is the payload of a pull_request_review "submitted" delivery.
func (f *fakeGitHub) reviewHook(n int, user string) []byte {
	p, _ := f.pull(n)
	b, _ := json.Marshal(map[string]any{
		"action": "submitted",
		"review": map[string]any{"id": 80, "user": map[string]any{"login": user}, "state": "approved", "commit_id": p.headSHA},
		"pull_request": map[string]any{
			"number": n, "state": p.state, "head": map[string]any{"ref": p.head, "sha": p.headSHA}, "base": map[string]any{"ref": p.base},
		},
		"repository": map[string]any{"full_name": f.owner + "/" + f.repo},
		"sender":     map[string]any{"login": user},
	})
	return b
}

// pullRequestHook is the payload of a pull_request delivery with action.
func (f *fakeGitHub) pullRequestHook(n int, action, sender string) []byte {
	p, _ := f.pull(n)
	pr := map[string]any{
		"number": n, "state": p.state, "merged": p.merged,
		"head": map[string]any{"ref": p.head, "sha": p.headSHA}, "base": map[string]any{"ref": p.base},
	}
	if p.merged {
		pr["merge_commit_sha"], pr["merged_by"] = p.mergeSHA, map[string]any{"login": p.mergedBy}
	}
	b, _ := json.Marshal(map[string]any{
		"action": action, "number": n, "pull_request": pr,
		"repository": map[string]any{"full_name": f.owner + "/" + f.repo},
		"sender":     map[string]any{"login": sender},
	})
	return b
}
