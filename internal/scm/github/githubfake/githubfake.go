// Package githubfake is test support: a stateful fake of GitHub
// Enterprise's REST API (https://docs.github.com/rest/pulls) over a bare
// repository on disk, for tests that need a Git host with pull requests.
// The hosted API cannot run here, so this answers as GitHub documents it:
// every answer is built on GitHub's own example for the operation, taken
// from its published OpenAPI description (templates/, regenerated with
// TestVendoredOpenAPI in internal/scm/github, which also validates the
// fake's answers against that description). Pull request merges are real
// merge commits made with the git CLI.
package githubfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
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

	mu          sync.Mutex
	bare        string
	pulls       map[int]*Pull
	reviews     map[int][]review
	statuses    map[string][]status // commit statuses by commit, oldest first
	checkRuns   map[string][]checkRun
	permissions map[string]string   // repository permission by login: admin, write, read, none
	required    map[string][]string // required status checks by protected branch
	teams       map[string][]string // members by team slug of the owner organisation
	calls       []Call
	nextID      int
}

// checkRun is one check run on a commit.
type checkRun struct {
	name, status, conclusion string
	at                       time.Time // when it started or, completed, finished
}

// status is one commit status report.
type status struct {
	context, state, description, targetURL string
	at                                     time.Time
}

// statusContext is the context of the one commit status SetStatus sets,
// GitHub's default when a status names none.
const statusContext = "default"

// Pull is a pull request as the fake holds it.
type Pull struct {
	Number               int
	State                string // open, closed
	Title, Body          string
	Head, Base           string // branch names
	HeadSHA              string // frozen once closed
	Merged               bool
	MergeSHA, MergedBy   string
	ClosedBy             string // who closed it unmerged
	CreatedAt, UpdatedAt time.Time
}

type review struct {
	id          int
	user, state string
	commitID    string
	submitted   time.Time
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
// request is created. alice, bob, carol and erin may write to the
// repository and dave administers it; anyone else may only read it
// (SetPermission changes that).
func New(t testing.TB, project, token string) *Server {
	owner, repo, _ := strings.Cut(project, "/")
	f := &Server{
		t: t, owner: owner, repo: repo, token: token, bot: "ferry-bot",
		pulls: map[int]*Pull{}, reviews: map[int][]review{}, statuses: map[string][]status{},
		checkRuns: map[string][]checkRun{}, required: map[string][]string{}, teams: map[string][]string{},
		permissions: map[string]string{"alice": "write", "bob": "write", "carol": "write", "dave": "admin", "erin": "write"},
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
	f.reviews[n] = append(f.reviews[n], review{id: f.nextID, user: user, state: state, commitID: p.HeadSHA, submitted: time.Now().UTC().Truncate(time.Second)})
}

// SetStatus sets the combined commit status of sha: one status, context
// "default", in state success, pending, failure or error.
func (f *Server) SetStatus(sha, state string) {
	f.PostStatus(sha, statusContext, state, "", "")
}

// PostStatus records a commit status on sha as "Create a commit status"
// does (a deploy tool reporting, say argocd/payments-dev): GitHub keeps
// every report, and the combined status shows the newest of each context.
func (f *Server) PostStatus(sha, context, state, description, targetURL string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[sha] = append(f.statuses[sha], status{context, state, description, targetURL, time.Now().UTC()})
}

// latestStatuses returns the newest status of each context on sha, in the
// order the contexts were first reported.
func (f *Server) latestStatuses(sha string) []status {
	var out []status
	for _, s := range f.statuses[sha] {
		i := slices.IndexFunc(out, func(o status) bool { return o.context == s.context })
		if i < 0 {
			out = append(out, s)
		} else {
			out[i] = s
		}
	}
	return out
}

// SetCheckRun adds or replaces the check run name on sha; status is
// queued, in_progress or completed, conclusion ("" until completed)
// success, failure, neutral, cancelled, skipped, timed_out.
func (f *Server) SetCheckRun(sha, name, status, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	runs := slices.DeleteFunc(f.checkRuns[sha], func(r checkRun) bool { return r.name == name })
	f.checkRuns[sha] = append(runs, checkRun{name, status, conclusion, time.Now().UTC()})
}

// SetPermission sets user's permission on the repository: admin,
// maintain, write, triage, read or none.
func (f *Server) SetPermission(user, permission string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.permissions[user] = permission
}

// RequireChecks protects branch, requiring the named status checks (a
// commit status context or a check run name) to pass before a merge.
func (f *Server) RequireChecks(branch string, names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.required[branch] = names
}

// ClosePR closes pull request n unmerged, as user would on the web page.
func (f *Server) ClosePR(n int, user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n]
	f.refresh(p)
	p.State, p.ClosedBy, p.UpdatedAt = "closed", user, time.Now().UTC()
}

// SetTeam makes users the active members of the owner organisation's team
// slug.
func (f *Server) SetTeam(slug string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teams[slug] = users
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
	reAppToken = regexp.MustCompile(`^/api/v3/app/installations/[0-9]+/access_tokens$`)
	rePulls    = regexp.MustCompile(`^/pulls$`)
	rePull     = regexp.MustCompile(`^/pulls/([0-9]+)$`)
	reReviews  = regexp.MustCompile(`^/pulls/([0-9]+)/reviews$`)
	reMerge    = regexp.MustCompile(`^/pulls/([0-9]+)/merge$`)
	reStatus   = regexp.MustCompile(`^/commits/([0-9a-f]{40})/status$`)
	reRuns     = regexp.MustCompile(`^/commits/([0-9a-f]{40})/check-runs$`)
	reComment  = regexp.MustCompile(`^/issues/([0-9]+)/comments$`)
	rePerm     = regexp.MustCompile(`^/collaborators/([^/]+)/permission$`)
	reBranch   = regexp.MustCompile(`^/branches/(.+)$`)
	reRules    = regexp.MustCompile(`^/rules/branches/(.+)$`)
	reEvents   = regexp.MustCompile(`^/issues/([0-9]+)/events$`)
	reTeam     = regexp.MustCompile(`^/api/v3/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)$`)
)

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Auth: r.Header.Get("Authorization")})

	if r.Method == http.MethodPost && reAppToken.MatchString(r.URL.Path) {
		// A GitHub App's JWT buys an installation token: the fake takes any
		// JWT (it does not hold the App's public key) and hands out the one
		// token it accepts.
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			f.answer(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"})
			return
		}
		tok := set(template("installation-token.json"), "token", f.token, "expires_at", stamp(time.Now().Add(time.Hour)))
		delete(tok, "repositories")
		f.answer(w, http.StatusCreated, tok)
		return
	}
	if auth := r.Header.Get("Authorization"); auth != "Bearer "+f.token && auth != "token "+f.token {
		f.answer(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	var m []string
	if r.Method == http.MethodGet && match(&m, reTeam, r.URL.Path) {
		f.teamMembership(w, m[1], m[2], m[3])
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, f.Prefix())
	if !ok {
		f.notFound(w)
		return
	}
	num := func() int { n, _ := strconv.Atoi(m[1]); return n }
	switch {
	case r.Method == http.MethodGet && rePulls.MatchString(rest):
		f.listPulls(w, r)
	case r.Method == http.MethodPost && rePulls.MatchString(rest):
		f.createPull(w, body)
	case r.Method == http.MethodGet && match(&m, rePull, rest):
		if p, ok := f.pulls[num()]; ok {
			f.refresh(p)
			f.answer(w, http.StatusOK, f.pullJSON(p, false))
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
		f.answer(w, http.StatusOK, f.combinedStatusJSON(m[1]))
	case r.Method == http.MethodGet && match(&m, reRuns, rest):
		f.answer(w, http.StatusOK, f.checkRunsJSON(m[1]))
	case r.Method == http.MethodPost && match(&m, reComment, rest):
		f.createComment(w, num(), body)
	case r.Method == http.MethodGet && match(&m, rePerm, rest):
		f.answer(w, http.StatusOK, f.permissionJSON(m[1]))
	case r.Method == http.MethodGet && match(&m, reBranch, rest):
		f.answer(w, http.StatusOK, f.branchJSON(m[1]))
	case r.Method == http.MethodGet && match(&m, reEvents, rest):
		f.listEvents(w, num())
	case r.Method == http.MethodGet && match(&m, reRules, rest):
		// Protection here is classic branch protection; no rulesets.
		f.answer(w, http.StatusOK, []any{})
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

// pullJSON is GitHub's "pull-request" example made to describe p
// (simple: the shorter "pull-request-simple" of lists).
func (f *Server) pullJSON(p *Pull, simple bool) map[string]any {
	name := "pull.json"
	if simple {
		name = "pull-simple.json"
	}
	out := template(name)
	api := f.URL + f.Prefix()
	n := strconv.Itoa(p.Number)
	web := f.URL + "/" + f.owner + "/" + f.repo
	set(out, "url", api+"/pulls/"+n, "html_url", web+"/pull/"+n, "number", p.Number, "state", p.State,
		"title", p.Title, "body", p.Body, "draft", false, "locked", false,
		"diff_url", web+"/pull/"+n+".diff", "patch_url", web+"/pull/"+n+".patch",
		"issue_url", api+"/issues/"+n, "comments_url", api+"/issues/"+n+"/comments",
		"commits_url", api+"/pulls/"+n+"/commits", "review_comments_url", api+"/pulls/"+n+"/comments",
		"statuses_url", api+"/statuses/"+p.HeadSHA,
		"created_at", stamp(p.CreatedAt), "updated_at", stamp(p.UpdatedAt), "closed_at", nil,
		"merged_at", nil, "merge_commit_sha", nil,
		"labels", []any{}, "milestone", nil, "assignee", nil, "assignees", []any{},
		"requested_reviewers", []any{}, "requested_teams", []any{}, "auto_merge", nil)
	set(out["user"].(map[string]any), "login", f.bot)
	set(out["head"].(map[string]any), "label", f.owner+":"+p.Head, "ref", p.Head, "sha", p.HeadSHA)
	set(out["base"].(map[string]any), "label", f.owner+":"+p.Base, "ref", p.Base)
	if p.State == "closed" {
		out["closed_at"] = stamp(p.UpdatedAt)
	}
	if simple {
		return out
	}
	state := f.mergeableState(p)
	set(out, "merged", p.Merged, "merged_by", nil, "mergeable", state != "dirty", "mergeable_state", state)
	if p.Merged {
		by := template("pull.json")["merged_by"].(map[string]any)
		set(by, "login", p.MergedBy)
		set(out, "merged_at", stamp(p.UpdatedAt), "merge_commit_sha", p.MergeSHA, "merged_by", by, "mergeable", nil)
	}
	return out
}

// mergeableState is GitHub's mergeable_state of an open p: "blocked" while
// a required check of its base has not passed on its head, "unstable"
// when another check fails, else "clean".
func (f *Server) mergeableState(p *Pull) string {
	if p.State != "open" {
		return "unknown"
	}
	passed := map[string]bool{}
	failing := false
	for _, st := range f.latestStatuses(p.HeadSHA) {
		passed[st.context] = st.state == "success"
		failing = failing || st.state == "failure" || st.state == "error"
	}
	for _, r := range f.checkRuns[p.HeadSHA] {
		ok := r.status == "completed" && (r.conclusion == "success" || r.conclusion == "neutral" || r.conclusion == "skipped")
		passed[r.name] = ok
		failing = failing || r.status == "completed" && !ok
	}
	for _, name := range f.required[p.Base] {
		if !passed[name] {
			return "blocked"
		}
	}
	if failing {
		return "unstable"
	}
	return "clean"
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
		out = append(out, f.pullJSON(p, true))
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
	f.answer(w, http.StatusCreated, f.pullJSON(p, false))
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
		if *req.State == "closed" && p.State != "closed" {
			p.ClosedBy = f.bot
		}
		p.State = *req.State
	}
	p.UpdatedAt = time.Now().UTC()
	f.answer(w, http.StatusOK, f.pullJSON(p, false))
}

func (f *Server) listReviews(w http.ResponseWriter, n int) {
	if _, ok := f.pulls[n]; !ok {
		f.notFound(w)
		return
	}
	out := []any{}
	api := f.URL + f.Prefix()
	web := f.URL + "/" + f.owner + "/" + f.repo
	for _, rv := range f.reviews[n] {
		r := template("review.json")
		set(r, "id", rv.id, "node_id", fmt.Sprintf("PRR_%d", rv.id), "state", rv.state, "commit_id", rv.commitID,
			"submitted_at", stamp(rv.submitted),
			"html_url", fmt.Sprintf("%s/pull/%d#pullrequestreview-%d", web, n, rv.id),
			"pull_request_url", fmt.Sprintf("%s/pulls/%d", api, n))
		set(r["user"].(map[string]any), "login", rv.user)
		out = append(out, r)
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
	case p.State != "open" || f.mergeableState(p) == "blocked":
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
	f.answer(w, http.StatusOK, set(template("merge-result.json"), "sha", sha, "merged", true, "message", "Pull Request successfully merged"))
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

//go:embed templates/*.json
var templates embed.FS

// template returns a fresh copy of GitHub's example answer name.
func template(name string) map[string]any {
	b, err := templates.ReadFile("templates/" + name)
	if err != nil {
		panic(err)
	}
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		panic(fmt.Sprintf("templates/%s: %v", name, err))
	}
	return v
}

// set sets key-value pairs on m and returns it.
func set(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// combinedStatusJSON is sha's combined status: the newest status of each
// context; failure when one is failure or error, else pending when one is
// pending or none was reported, else success.
func (f *Server) combinedStatusJSON(sha string) map[string]any {
	out := template("combined-status.json")
	api := f.URL + f.Prefix()
	statuses := []any{}
	latest := f.latestStatuses(sha)
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	for i, st := range latest {
		one := template("combined-status.json")["statuses"].([]any)[0].(map[string]any)
		var desc, target any
		if st.description != "" {
			desc = st.description
		}
		if st.targetURL != "" {
			target = st.targetURL
		}
		set(one, "id", i+1, "node_id", fmt.Sprintf("SC_%d", i+1), "state", st.state, "context", st.context, "description", desc, "target_url", target,
			"url", api+"/statuses/"+sha, "created_at", stamp(st.at), "updated_at", stamp(st.at))
		statuses = append(statuses, one)
		switch {
		case st.state == "failure" || st.state == "error":
			state = "failure"
		case st.state == "pending" && state == "success":
			state = "pending"
		}
	}
	set(out, "state", state, "sha", sha, "total_count", len(statuses), "statuses", statuses,
		"commit_url", api+"/commits/"+sha, "url", api+"/commits/"+sha+"/status")
	return out
}

// checkRunsJSON lists the check runs of sha.
func (f *Server) checkRunsJSON(sha string) map[string]any {
	runs := []any{}
	for i, r := range f.checkRuns[sha] {
		run := template("check-run.json")
		var conclusion any
		completed := any(nil)
		if r.status == "completed" {
			conclusion, completed = r.conclusion, stamp(r.at)
		}
		set(run, "id", i+1, "name", r.name, "head_sha", sha, "status", r.status, "conclusion", conclusion,
			"started_at", stamp(r.at), "completed_at", completed)
		runs = append(runs, run)
	}
	return map[string]any{"total_count": len(runs), "check_runs": runs}
}

// permissionJSON is user's permission on the repository.
func (f *Server) permissionJSON(user string) map[string]any {
	role, ok := f.permissions[user]
	if !ok {
		role = "read"
	}
	// "permission" is the legacy name: maintain reads as write, triage as read.
	legacy := map[string]string{"maintain": "write", "triage": "read"}[role]
	if legacy == "" {
		legacy = role
	}
	out := set(template("permission.json"), "permission", legacy, "role_name", role)
	set(out["user"].(map[string]any), "login", user, "role_name", role)
	return out
}

// branchJSON is "Get a branch", with its protection's required checks.
func (f *Server) branchJSON(branch string) map[string]any {
	out := template("branch.json")
	required := f.required[branch]
	checks := []any{}
	for _, c := range required {
		checks = append(checks, map[string]any{"context": c, "app_id": nil})
	}
	rsc := map[string]any{"enforcement_level": "off", "contexts": []any{}, "checks": []any{}}
	if len(required) > 0 {
		rsc = map[string]any{"enforcement_level": "everyone", "contexts": required, "checks": checks}
	}
	set(out, "name", branch, "protected", len(required) > 0,
		"protection", map[string]any{"enabled": len(required) > 0, "required_status_checks": rsc},
		"protection_url", f.URL+f.Prefix()+"/branches/"+branch+"/protection")
	return out
}

func (f *Server) createComment(w http.ResponseWriter, n int, body []byte) {
	var req struct{ Body string }
	if err := json.Unmarshal(body, &req); err != nil || req.Body == "" {
		f.unprocessable(w, "body is required")
		return
	}
	if _, ok := f.pulls[n]; !ok {
		f.notFound(w)
		return
	}
	f.nextID++
	out := set(template("issue-comment.json"), "id", f.nextID, "body", req.Body,
		"url", fmt.Sprintf("%s/issues/comments/%d", f.URL+f.Prefix(), f.nextID),
		"issue_url", fmt.Sprintf("%s/issues/%d", f.URL+f.Prefix(), n))
	set(out["user"].(map[string]any), "login", f.bot)
	f.answer(w, http.StatusCreated, out)
}

// teamMembership is "Get team membership for a user": 200 with the
// membership of an active member of the owner organisation's team, 404
// for anyone else, as GitHub answers.
func (f *Server) teamMembership(w http.ResponseWriter, org, slug, user string) {
	if org != f.owner || !slices.Contains(f.teams[slug], user) {
		f.notFound(w)
		return
	}
	f.answer(w, http.StatusOK, set(template("team-membership.json"), "role", "member", "state", "active",
		"url", f.URL+"/api/v3/teams/1/memberships/"+user))
}

// listEvents is "List issue events" of pull request n: the "closed" event
// (with who closed it) of a pull request closed unmerged.
func (f *Server) listEvents(w http.ResponseWriter, n int) {
	p, ok := f.pulls[n]
	if !ok {
		f.notFound(w)
		return
	}
	out := []any{}
	if p.State == "closed" && !p.Merged {
		e := template("issue-event.json")
		delete(e, "label")
		set(e, "event", "closed", "commit_id", nil, "commit_url", nil, "created_at", stamp(p.UpdatedAt),
			"url", f.URL+f.Prefix()+"/issues/events/1")
		set(e["actor"].(map[string]any), "login", p.ClosedBy)
		out = append(out, e)
	}
	f.answer(w, http.StatusOK, out)
}
