// Package githubfake is test support: a stateful fake of GitHub
// Enterprise's REST API (https://docs.github.com/rest/pulls) over a bare
// repository on disk, for tests that need a Git host with pull requests.
// The hosted API cannot run here, so this answers as GitHub documents it;
// pull request merges are real merge commits made with the git CLI.
package githubfake

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

// Server is a GitHub Enterprise REST API (under /api/v3/) for one
// repository whose Git data is a bare repository on disk: pull request
// heads are its branches, and a merge is a real merge commit pushed to it.
type Server struct {
	*httptest.Server
	t           testing.TB
	owner, repo string
	token       string // the only token the API accepts
	bot         string // the login the token belongs to

	mu       sync.Mutex
	bare     string
	pulls    map[int]*Pull
	reviews  map[int][]review
	statuses map[string]string // combined status by commit: success, pending, failure
	calls    []Call
	nextID   int
}

// Pull is a pull request as the fake holds it.
type Pull struct {
	Number               int
	State                string // open, closed
	Title, Body          string
	Head, Base           string // branch names
	HeadSHA              string // frozen once closed
	Merged               bool
	MergeSHA, MergedBy   string
	CreatedAt, UpdatedAt time.Time
}

type review struct {
	id          int
	user, state string
	commitID    string
}

// Call is one request the fake received.
type Call struct {
	Method, Path, Query string
	Body                []byte
	Auth                string
}

// String is "METHOD path" (with "?query" when there is one).
func (c Call) String() string {
	if c.Query != "" {
		return c.Method + " " + c.Path + "?" + c.Query
	}
	return c.Method + " " + c.Path
}

// New starts a fake API for project ("owner/repo") accepting only token,
// and closes it when the test ends. Call SetBare before the first pull
// request is created.
func New(t testing.TB, project, token string) *Server {
	owner, repo, _ := strings.Cut(project, "/")
	f := &Server{
		t: t, owner: owner, repo: repo, token: token, bot: "ferry-bot",
		pulls: map[int]*Pull{}, reviews: map[int][]review{}, statuses: map[string]string{},
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// SetBare names the bare repository the pull requests live in.
func (f *Server) SetBare(bare string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bare = bare
}

// Calls returns the requests received so far.
func (f *Server) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Count returns how many requests were "METHOD path" (query ignored).
func (f *Server) Count(method, path string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

// Prefix is the API path of the repository.
func (f *Server) Prefix() string { return "/api/v3/repos/" + f.owner + "/" + f.repo }

// Pull returns a copy of pull request n.
func (f *Server) Pull(n int) (Pull, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pulls[n]
	if !ok {
		return Pull{}, false
	}
	f.refresh(p)
	return *p, true
}

// OpenPulls returns the numbers of the open pull requests.
func (f *Server) OpenPulls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for n, p := range f.pulls {
		if p.State == "open" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Review records a review by user on the pull request's current head.
func (f *Server) Review(n int, user, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n]
	f.refresh(p)
	f.nextID++
	f.reviews[n] = append(f.reviews[n], review{id: f.nextID, user: user, state: state, commitID: p.HeadSHA})
}

// SetStatus sets the combined commit status of sha.
func (f *Server) SetStatus(sha, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[sha] = state
}

// ClosePR closes pull request n unmerged, as a person on the web page would.
func (f *Server) ClosePR(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n]
	f.refresh(p)
	p.State, p.UpdatedAt = "closed", time.Now().UTC()
}

// refresh follows the head branch of an open pull request, as GitHub does.
func (f *Server) refresh(p *Pull) {
	if p.State != "open" {
		return
	}
	if sha, err := f.git("", "rev-parse", "--verify", "-q", "refs/heads/"+p.Head); err == nil {
		p.HeadSHA = sha
	}
}

// git runs the git CLI on the bare repository (dir "") or in dir.
func (f *Server) git(dir string, args ...string) (string, error) {
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

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Auth: r.Header.Get("Authorization")})

	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.answer(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, f.Prefix())
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

func (f *Server) answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) notFound(w http.ResponseWriter) {
	f.answer(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func (f *Server) unprocessable(w http.ResponseWriter, msg string) {
	f.answer(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": []any{map[string]any{"resource": "PullRequest", "code": "custom", "message": msg}},
		"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
	})
}

func (f *Server) pullJSON(p *Pull) map[string]any {
	web := f.URL + "/" + f.owner + "/" + f.repo
	out := map[string]any{
		"url":      f.URL + f.Prefix() + "/pulls/" + strconv.Itoa(p.Number),
		"html_url": web + "/pull/" + strconv.Itoa(p.Number),
		"number":   p.Number, "state": p.State, "title": p.Title, "body": p.Body,
		"user":             map[string]any{"login": f.bot},
		"head":             map[string]any{"label": f.owner + ":" + p.Head, "ref": p.Head, "sha": p.HeadSHA},
		"base":             map[string]any{"label": f.owner + ":" + p.Base, "ref": p.Base},
		"merged":           p.Merged,
		"merged_at":        nil,
		"merge_commit_sha": nil,
		"merged_by":        nil,
		"created_at":       p.CreatedAt.Format(time.RFC3339),
		"updated_at":       p.UpdatedAt.Format(time.RFC3339),
	}
	if p.Merged {
		out["merged_at"] = p.UpdatedAt.Format(time.RFC3339)
		out["merge_commit_sha"] = p.MergeSHA
		out["merged_by"] = map[string]any{"login": p.MergedBy}
	}
	return out
}

func (f *Server) listPulls(w http.ResponseWriter, r *http.Request) {
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
		if (state != "all" && p.State != state) || (q.Get("head") != "" && q.Get("head") != f.owner+":"+p.Head) {
			continue
		}
		out = append(out, f.pullJSON(p))
	}
	f.answer(w, http.StatusOK, out)
}

func (f *Server) createPull(w http.ResponseWriter, body []byte) {
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
		if p.State == "open" && p.Head == req.Head {
			f.unprocessable(w, "A pull request already exists for "+f.owner+":"+req.Head+".")
			return
		}
	}
	now := time.Now().UTC()
	p := &Pull{Number: len(f.pulls) + 1, State: "open", Title: req.Title, Body: req.Body,
		Head: req.Head, Base: req.Base, HeadSHA: sha, CreatedAt: now, UpdatedAt: now}
	f.pulls[p.Number] = p
	f.answer(w, http.StatusCreated, f.pullJSON(p))
}

func (f *Server) editPull(w http.ResponseWriter, n int, body []byte) {
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
		p.Title = *req.Title
	}
	if req.Body != nil {
		p.Body = *req.Body
	}
	if req.Base != nil {
		p.Base = *req.Base
	}
	if req.State != nil && !p.Merged {
		p.State = *req.State
	}
	p.UpdatedAt = time.Now().UTC()
	f.answer(w, http.StatusOK, f.pullJSON(p))
}

func (f *Server) listReviews(w http.ResponseWriter, n int) {
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
func (f *Server) merge(w http.ResponseWriter, n int, body []byte) {
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
	case p.State != "open":
		f.answer(w, http.StatusMethodNotAllowed, map[string]any{"message": "Pull Request is not mergeable"})
		return
	case req.SHA != "" && req.SHA != p.HeadSHA:
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
	p.State, p.Merged, p.MergeSHA, p.MergedBy, p.UpdatedAt = "closed", true, sha, f.bot, time.Now().UTC()
	f.answer(w, http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (f *Server) mergeInGit(p *Pull) (string, error) {
	dir, err := os.MkdirTemp("", "fake-github-merge-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	work := filepath.Join(dir, "w")
	steps := [][]string{
		{"clone", "-q", "--branch", p.Base, f.bare, work},
		{"-C", work, "fetch", "-q", "origin", p.HeadSHA},
		{"-C", work, "merge", "-q", "--no-ff", "-m", fmt.Sprintf("Merge pull request #%d from %s/%s", p.Number, f.owner, p.Head), p.HeadSHA},
		{"-C", work, "push", "-q", "origin", "HEAD:refs/heads/" + p.Base},
	}
	for _, s := range steps {
		if _, err := f.git(dir, s...); err != nil {
			return "", err
		}
	}
	return f.git(work, "rev-parse", "HEAD")
}

// Sign is GitHub's X-Hub-Signature-256 of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// ReviewHook is the payload of a pull_request_review "submitted" delivery.
func (f *Server) ReviewHook(n int, user string) []byte {
	p, _ := f.Pull(n)
	b, _ := json.Marshal(map[string]any{
		"action": "submitted",
		"review": map[string]any{"id": 80, "user": map[string]any{"login": user}, "state": "approved", "commit_id": p.HeadSHA},
		"pull_request": map[string]any{
			"number": n, "state": p.State, "head": map[string]any{"ref": p.Head, "sha": p.HeadSHA}, "base": map[string]any{"ref": p.Base},
		},
		"repository": map[string]any{"full_name": f.owner + "/" + f.repo},
		"sender":     map[string]any{"login": user},
	})
	return b
}

// PullRequestHook is the payload of a pull_request delivery with action.
func (f *Server) PullRequestHook(n int, action, sender string) []byte {
	p, _ := f.Pull(n)
	pr := map[string]any{
		"number": n, "state": p.State, "merged": p.Merged,
		"head": map[string]any{"ref": p.Head, "sha": p.HeadSHA}, "base": map[string]any{"ref": p.Base},
	}
	if p.Merged {
		pr["merge_commit_sha"], pr["merged_by"] = p.MergeSHA, map[string]any{"login": p.MergedBy}
	}
	b, _ := json.Marshal(map[string]any{
		"action": action, "number": n, "pull_request": pr,
		"repository": map[string]any{"full_name": f.owner + "/" + f.repo},
		"sender":     map[string]any{"login": sender},
	})
	return b
}
