package github

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

const (
	token  = "ghp_s3cr3tT0kenValue"
	head   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	branch = "ferry/payments/prod"
	// Enterprise base path: the test server is not api.github.com.
	repoPath = "/api/v3/repos/acme/env"
)

func td(name string) string { return filepath.Join("testdata", name) }

func newProvider(t *testing.T, h *fakehost.Host, edit ...func(*config.Provider)) *Provider {
	t.Helper()
	p, err := New(h.Provider(config.ProviderGitHub, token, edit...), outbound.WithHTTPClient(h.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkCalls(t *testing.T, h *fakehost.Host, want ...string) {
	t.Helper()
	h.CheckCalls(t, "Authorization", "Bearer "+token, want...)
}

func TestEnsureCreates(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/pulls").File(t, td("pulls-empty.json"))
	h.On("POST", repoPath+"/pulls").Status(201).File(t, td("pull-created.json"))
	p := newProvider(t, h)

	pr, err := p.Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "Promote payments 1.4.2 to prod", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	want := promotion.PR{Number: 8, URL: "https://github.com/acme/env/pull/8", State: promotion.PROpen, Head: branch, HeadSHA: head, Base: "main", Author: "ferry-bot",
		UpdatedAt: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)}
	if !fakehost.EqualPR(pr, want) {
		t.Errorf("Ensure = %+v, want %+v", pr, want)
	}
	checkCalls(t, h,
		"GET "+repoPath+"/pulls?head=acme%3Aferry%2Fpayments%2Fprod&per_page=100&state=open",
		"POST "+repoPath+"/pulls")
	body := h.Requests()[1].JSON(t)
	for k, v := range map[string]string{"title": "Promote payments 1.4.2 to prod", "head": branch, "base": "main", "body": "body"} {
		if body[k] != v {
			t.Errorf("create body %s = %v, want %q", k, body[k], v)
		}
	}
}

func TestEnsureUpdatesExisting(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	// The open PR is on the second page.
	h.On("GET", repoPath+"/pulls?page=2").File(t, td("pulls-open.json"))
	h.On("GET", repoPath+"/pulls").Body("[]").
		Header("Link", `<{{URL}}`+repoPath+`/pulls?head=acme%3Aferry%2Fpayments%2Fprod&per_page=100&state=open&page=2>; rel="next", <{{URL}}`+repoPath+`/pulls?page=2>; rel="last"`)
	h.On("PATCH", repoPath+"/pulls/7").File(t, td("pull-updated.json"))
	p := newProvider(t, h)

	pr, err := p.Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "new title", Body: "new body"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 7 || pr.URL != "https://github.com/acme/env/pull/7" || pr.HeadSHA != head {
		t.Errorf("Ensure = %+v, want #7", pr)
	}
	checkCalls(t, h,
		"GET "+repoPath+"/pulls?head=acme%3Aferry%2Fpayments%2Fprod&per_page=100&state=open",
		"GET "+repoPath+"/pulls?head=acme%3Aferry%2Fpayments%2Fprod&page=2&per_page=100&state=open",
		"PATCH "+repoPath+"/pulls/7")
	body := h.Requests()[2].JSON(t)
	if body["title"] != "new title" || body["body"] != "new body" {
		t.Errorf("edit body = %v", body)
	}
	if _, ok := body["base"]; ok {
		t.Errorf("edit changed the base although it is the same: %v", body)
	}
}

func TestEnsureUnchangedSendsNoWrite(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/pulls").File(t, td("pulls-open.json"))
	p := newProvider(t, h)
	pr, err := p.Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "old title", Body: "old body"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 7 {
		t.Errorf("Ensure = %+v, want #7", pr)
	}
	checkCalls(t, h, "GET "+repoPath+"/pulls?head=acme%3Aferry%2Fpayments%2Fprod&per_page=100&state=open")
}

// serveGet scripts the reads of a Get: the PR, its reviews (two pages),
// the permissions of the reviewers whose approval is current, the base
// branch's protection and rulesets (unprotected), the combined status and
// the check runs.
func serveGet(t *testing.T, h *fakehost.Host, pull, status, runs string) {
	h.On("GET", repoPath+"/pulls/7").File(t, td(pull))
	h.On("GET", repoPath+"/pulls/7/reviews?page=2").File(t, td("reviews-page2.json"))
	h.On("GET", repoPath+"/pulls/7/reviews").File(t, td("reviews-page1.json")).
		Header("Link", `<{{URL}}`+repoPath+`/pulls/7/reviews?per_page=100&page=2>; rel="next"`)
	for _, u := range []string{"alice", "erin"} {
		h.On("GET", repoPath+"/collaborators/"+u+"/permission").File(t, td("permission-"+u+".json"))
	}
	h.On("GET", repoPath+"/branches/main").File(t, td("branch-main.json"))
	h.On("GET", repoPath+"/rules/branches/main").File(t, td("rules-empty.json"))
	h.On("GET", repoPath+"/commits/"+head+"/status").File(t, td(status))
	h.On("GET", repoPath+"/commits/"+head+"/check-runs").File(t, td(runs))
	h.On("GET", repoPath+"/issues/7/events").File(t, td("events-closed.json"))
}

// getCalls are the requests of a Get of the open PR #7; closedGetCalls
// those of a closed or merged one, which reads no branch protection.
var (
	reviewCalls = []string{
		"GET " + repoPath + "/pulls/7",
		"GET " + repoPath + "/pulls/7/reviews?per_page=100",
		"GET " + repoPath + "/pulls/7/reviews?page=2&per_page=100",
	}
	permissionCalls = []string{
		"GET " + repoPath + "/collaborators/alice/permission",
		"GET " + repoPath + "/collaborators/erin/permission",
	}
	protectionCalls = []string{
		"GET " + repoPath + "/branches/main",
		"GET " + repoPath + "/rules/branches/main?per_page=100",
	}
	checkCallsOf = []string{
		"GET " + repoPath + "/commits/" + head + "/status?per_page=100",
		"GET " + repoPath + "/commits/" + head + "/check-runs?per_page=100",
	}
	getCalls       = concat(reviewCalls, permissionCalls, protectionCalls, checkCallsOf)
	closedGetCalls = concat(reviewCalls, permissionCalls, checkCallsOf)
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestGet(t *testing.T) {
	t.Parallel()
	updated := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	base := promotion.PR{Number: 7, URL: "https://github.com/acme/env/pull/7", Head: branch, HeadSHA: head, Base: "main", UpdatedAt: updated,
		// alice approved (a later comment keeps it), bob's approval was
		// cancelled by a later change request, carol approved an older head,
		// dave's approval was dismissed, erin approved on page two.
		Author:           "ferry-bot",
		Approvers:        []string{"alice", "erin"},
		ChangesRequested: []string{"bob"},
		Approvals: []promotion.Approval{
			// At: each one's latest review's submitted_at.
			{User: "alice", Counted: true, At: reviewedAt},
			{User: "carol", Reason: promotion.ReasonStale, At: reviewedAt.Add(-2 * time.Hour)},
			{User: "dave", Reason: promotion.ReasonDismissed, At: reviewedAt.Add(70 * time.Minute)},
			{User: "erin", Counted: true, At: reviewedAt.Add(75 * time.Minute)},
		},
		Mergeable: true,
	}
	closed := func(pr *promotion.PR, state promotion.PRState) {
		pr.State, pr.Mergeable, pr.NotMergeable = state, false, "the pull request is closed"
	}
	with := func(f func(*promotion.PR)) promotion.PR { pr := base; f(&pr); return pr }
	for _, tc := range []struct {
		name, pull, status, runs string
		want                     promotion.PR
	}{
		{"open passed", "pull-open.json", "status-success.json", "check-runs-passed.json",
			with(func(pr *promotion.PR) { pr.State, pr.Checks = promotion.PROpen, promotion.ChecksPassed })},
		{"open no checks", "pull-open.json", "status-none.json", "check-runs-empty.json",
			with(func(pr *promotion.PR) { pr.State, pr.Checks = promotion.PROpen, promotion.ChecksUnknown })},
		{"open running", "pull-open.json", "status-success.json", "check-runs-running.json",
			with(func(pr *promotion.PR) { pr.State, pr.Checks = promotion.PROpen, promotion.ChecksPending })},
		{"open status failed", "pull-open.json", "status-failure.json", "check-runs-passed.json",
			with(func(pr *promotion.PR) { pr.State, pr.Checks = promotion.PROpen, promotion.ChecksFailed })},
		{"merged", "pull-merged.json", "status-success.json", "check-runs-passed.json",
			with(func(pr *promotion.PR) {
				closed(pr, promotion.PRMerged)
				pr.Checks = promotion.ChecksPassed
				pr.MergeSHA, pr.MergedBy = "e5bd3914e2e596debea16f433f57875b5b90bcd6", "octocat"
			})},
		{"closed", "pull-closed.json", "status-success.json", "check-runs-passed.json",
			with(func(pr *promotion.PR) {
				closed(pr, promotion.PRClosed)
				pr.Checks = promotion.ChecksPassed
				pr.ClosedBy = "hubot" // the latest "closed" event's actor: closed, reopened, closed again
			})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			serveGet(t, h, tc.pull, tc.status, tc.runs)
			pr, err := newProvider(t, h).Get(context.Background(), 7)
			if err != nil {
				t.Fatal(err)
			}
			if !fakehost.EqualPR(pr, tc.want) {
				t.Errorf("Get =\n %+v\nwant\n %+v", pr, tc.want)
			}
			switch tc.want.State {
			case promotion.PROpen:
				checkCalls(t, h, getCalls...)
			case promotion.PRClosed:
				checkCalls(t, h, concat(reviewCalls[:1], []string{"GET " + repoPath + "/issues/7/events?per_page=100"}, reviewCalls[1:], permissionCalls, checkCallsOf)...)
			default:
				checkCalls(t, h, closedGetCalls...)
			}
		})
	}
}

func TestGetRevalidatesWithETag(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	const etag = `W/"6cf5b3f0c2ab3a0b9bbfa8c7d0a1e3a2"`
	h.On("GET", repoPath+"/pulls/7").Func(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("If-None-Match") == etag {
			w.Header().Set("ETag", etag)
			w.Header().Set("X-RateLimit-Remaining", "4999")
			w.WriteHeader(http.StatusNotModified)
			return true
		}
		w.Header().Set("ETag", etag)
		return false
	}).File(t, td("pull-open.json"))
	serveGet(t, h, "pull-open.json", "status-success.json", "check-runs-passed.json")
	p := newProvider(t, h)
	first, err := p.Get(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Get(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if !fakehost.EqualPR(first, second) || second.Number != 7 || second.HeadSHA != head {
		t.Errorf("second Get = %+v, want the first %+v", second, first)
	}
	reqs := h.Requests()
	// The reviewers' permissions are remembered for permissionTTL.
	if len(reqs) != 2*len(getCalls)-len(permissionCalls) {
		t.Fatalf("requests = %q", h.Calls())
	}
	if got := reqs[0].Header.Get("If-None-Match"); got != "" {
		t.Errorf("first Get sent If-None-Match %q", got)
	}
	if got := reqs[len(getCalls)].Header.Get("If-None-Match"); got != etag {
		t.Errorf("second Get of the PR sent If-None-Match %q, want %q", got, etag)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("PUT", repoPath+"/pulls/7/merge").File(t, td("merge-ok.json"))
	serveGet(t, h, "pull-merged.json", "status-success.json", "check-runs-passed.json")
	pr, err := newProvider(t, h).Merge(context.Background(), 7, head)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != promotion.PRMerged || pr.MergeSHA != "e5bd3914e2e596debea16f433f57875b5b90bcd6" || pr.MergedBy != "octocat" {
		t.Errorf("Merge = %+v", pr)
	}
	checkCalls(t, h, append([]string{"PUT " + repoPath + "/pulls/7/merge"}, closedGetCalls...)...)
	body := h.Requests()[0].JSON(t)
	if body["sha"] != head || body["merge_method"] != "merge" {
		t.Errorf("merge body = %v, want sha and merge_method merge", body)
	}
}

func TestMergeHeadMoved(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("PUT", repoPath+"/pulls/7/merge").Status(409).File(t, td("merge-head-moved.json"))
	_, err := newProvider(t, h).Merge(context.Background(), 7, head)
	d, ok := derrors.As(err)
	if !ok || d.Kind != derrors.Conflict || d.Code != "head_moved" {
		t.Fatalf("Merge error = %v, want Conflict head_moved", err)
	}
	fakehost.CheckNoSecret(t, err, token)
	checkCalls(t, h, "PUT "+repoPath+"/pulls/7/merge")
}

func TestClose(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", repoPath+"/issues/7/comments").Status(201).File(t, td("comment-created.json"))
	h.On("PATCH", repoPath+"/pulls/7").File(t, td("pull-closed.json"))
	if err := newProvider(t, h).Close(context.Background(), 7, "Superseded by release 1.4.3."); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, "POST "+repoPath+"/issues/7/comments", "PATCH "+repoPath+"/pulls/7")
	if b := h.Requests()[0].JSON(t); b["body"] != "Superseded by release 1.4.3." {
		t.Errorf("comment body = %v", b)
	}
	if b := h.Requests()[1].JSON(t); b["state"] != "closed" {
		t.Errorf("close body = %v", b)
	}
}

// TestDescribe: a description is rewritten in place (PATCH of the pull
// request's title and body only), never through Ensure, which would open a
// new pull request if this one had ended.
func TestDescribe(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("PATCH", repoPath+"/pulls/7").File(t, td("pull-updated.json"))
	if err := newProvider(t, h).Describe(context.Background(), 7, "payments: prod ← 1.4.2", "**Approvals: 1 of 2**: alice (counted)"); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, "PATCH "+repoPath+"/pulls/7")
	b := h.Requests()[0].JSON(t)
	if b["title"] != "payments: prod ← 1.4.2" || b["body"] != "**Approvals: 1 of 2**: alice (counted)" || len(b) != 2 {
		t.Errorf("edit body = %v, want title and body only", b)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name     string
		route    func(h *fakehost.Host)
		kind     derrors.Kind
		code     string
		after    time.Duration
		notFound bool
	}{
		{"bad credentials", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(401).File(t, td("error-bad-credentials.json"))
		}, derrors.Unavailable, "scm_auth_failed", 0, false},
		{"not found", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(404).File(t, td("error-not-found.json"))
		}, derrors.NotFound, "not_found", 0, true},
		{"429 with Retry-After", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(429).Header("Retry-After", "30").File(t, td("error-rate-limit.json"))
		}, derrors.RateLimited, "scm_rate_limited", 30 * time.Second, false},
		{"primary limit spent", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(403).
				Header("X-RateLimit-Limit", "5000").Header("X-RateLimit-Remaining", "0").
				Header("X-RateLimit-Reset", "1800000120").File(t, td("error-rate-limit.json"))
		}, derrors.RateLimited, "scm_rate_limited", 2 * time.Minute, false},
		{"secondary limit", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(403).Header("Retry-After", "60").File(t, td("error-secondary-rate-limit.json"))
		}, derrors.RateLimited, "scm_rate_limited", time.Minute, false},
		{"secondary limit without Retry-After", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(403).File(t, td("error-secondary-rate-limit.json"))
		}, derrors.RateLimited, "scm_rate_limited", time.Minute, false},
		// GitHub sends the primary window's reset on every answer; a
		// secondary limit waits a minute, not until that reset.
		{"secondary limit with the hourly reset", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(403).
				Header("X-RateLimit-Limit", "5000").Header("X-RateLimit-Remaining", "4990").
				Header("X-RateLimit-Reset", "1800003000").File(t, td("error-secondary-rate-limit.json"))
		}, derrors.RateLimited, "scm_rate_limited", time.Minute, false},
		{"server error", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Status(500).File(t, td("error-server.json"))
		}, derrors.Unavailable, "scm_unavailable", 0, false},
		{"timeout", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/7").Func(func(w http.ResponseWriter, r *http.Request) bool {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
				return true
			})
		}, derrors.Unavailable, "scm_unavailable", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			tc.route(h)
			cfg := config.Provider{URL: h.URL, Project: "acme/env", Token: config.NewSecret(token), RequestsPerMinute: 60}
			p, err := New(cfg, outbound.WithHTTPClient(h.Client()), outbound.WithClock(func() time.Time { return now }), outbound.WithTimeout(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Get(context.Background(), 7)
			d, ok := derrors.As(err)
			if !ok || d.Kind != tc.kind || d.Code != tc.code {
				t.Fatalf("Get error = %v (%+v), want kind %d code %s", err, d, tc.kind, tc.code)
			}
			if tc.notFound != errors.Is(err, derrors.ErrNotFound) {
				t.Errorf("errors.Is(err, ErrNotFound) = %v", !tc.notFound)
			}
			if d.RetryAfter != tc.after {
				t.Errorf("RetryAfter = %s, want %s", d.RetryAfter, tc.after)
			}
			if d.Code == "scm_auth_failed" && !strings.Contains(d.Detail, "scopes") {
				t.Errorf("auth failure detail %q does not point at the token's scopes", d.Detail)
			}
			fakehost.CheckNoSecret(t, err, token)
			checkCalls(t, h, "GET "+repoPath+"/pulls/7")
			if tc.kind == derrors.RateLimited {
				// The limit is honoured: the next call fails without being sent.
				_, err := p.Get(context.Background(), 7)
				if derrors.KindOf(err) != derrors.RateLimited {
					t.Errorf("Get after the limit = %v, want RateLimited", err)
				}
				checkCalls(t, h, "GET "+repoPath+"/pulls/7")
			}
		})
	}
}

func TestEnsureValidationFailed(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/pulls").File(t, td("pulls-empty.json"))
	h.On("POST", repoPath+"/pulls").Status(422).File(t, td("error-validation.json"))
	_, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "t"})
	d, ok := derrors.As(err)
	if !ok || d.Kind != derrors.Unprocessable || !strings.Contains(d.Detail, "No commits between main and ferry/payments/prod") {
		t.Fatalf("Ensure error = %v, want Unprocessable naming GitHub's reason", err)
	}
}
