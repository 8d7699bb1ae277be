package gitea

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

const (
	token    = "gta_s3cr3tT0kenValue"
	head     = "3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"
	branch   = "ferry/payments/prod"
	repoPath = "/api/v1/repos/acme/env"
)

func td(name string) string { return filepath.Join("testdata", name) }

func newProvider(t *testing.T, h *fakehost.Host, edit ...func(*config.Provider)) *Provider {
	t.Helper()
	p, err := New(h.Provider(config.ProviderGitea, token, edit...), outbound.WithHTTPClient(h.Client()), outbound.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkCalls(t *testing.T, h *fakehost.Host, want ...string) {
	t.Helper()
	h.CheckCalls(t, "Authorization", "token "+token, want...)
}

const (
	list1 = "GET " + repoPath + "/pulls?limit=50&page=1&state=open"
	list2 = "GET " + repoPath + "/pulls?limit=50&page=2&state=open"
)

// servePulls lists open PRs on two pages: another branch and a fork's
// branch of the same name on the first, Ferry's on the second.
func servePulls(t *testing.T, h *fakehost.Host) {
	h.On("GET", repoPath+"/pulls?page=2").File(t, td("pulls-page2.json")).
		Header("Link", `<{{URL}}`+repoPath+`/pulls?limit=50&page=1&state=open>; rel="first"`)
	h.On("GET", repoPath+"/pulls?page=1").File(t, td("pulls-page1.json")).
		Header("Link", `<{{URL}}`+repoPath+`/pulls?limit=50&page=2&state=open>; rel="next",<{{URL}}`+repoPath+`/pulls?limit=50&page=2&state=open>; rel="last"`).
		Header("X-Total-Count", "3")
}

func TestEnsureCreates(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/pulls").File(t, td("pulls-empty.json"))
	h.On("POST", repoPath+"/pulls").Status(201).File(t, td("pull-created.json"))
	pr, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "Promote payments 1.4.2 to prod", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	want := promotion.PR{Number: 6, URL: "https://gitea.example.com/acme/env/pulls/6", State: promotion.PROpen, Head: branch, HeadSHA: head, Base: "main", Author: "ferry-bot",
		UpdatedAt: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)}
	if !fakehost.EqualPR(pr, want) {
		t.Errorf("Ensure = %+v, want %+v", pr, want)
	}
	checkCalls(t, h, list1, "POST "+repoPath+"/pulls")
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
	servePulls(t, h)
	h.On("PATCH", repoPath+"/pulls/5").Status(201).File(t, td("pull-updated.json"))
	pr, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "new title", Body: "new body"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 5 {
		t.Errorf("Ensure = %+v, want #5 (not the fork's #4)", pr)
	}
	checkCalls(t, h, list1, list2, "PATCH "+repoPath+"/pulls/5")
	body := h.Requests()[2].JSON(t)
	if body["title"] != "new title" || body["body"] != "new body" || body["base"] != "" {
		t.Errorf("edit body = %v", body)
	}
}

func TestEnsureUnchangedSendsNoWrite(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	servePulls(t, h)
	if _, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "old title", Body: "old body"}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, list1, list2)
}

func serveGet(t *testing.T, h *fakehost.Host, pull, status string) {
	h.On("GET", repoPath+"/pulls/5").File(t, td(pull))
	h.On("GET", repoPath+"/pulls/5/reviews?page=2").File(t, td("reviews-page2.json"))
	h.On("GET", repoPath+"/pulls/5/reviews?page=1").File(t, td("reviews-page1.json")).
		Header("Link", `<{{URL}}`+repoPath+`/pulls/5/reviews?limit=50&page=2>; rel="next"`)
	h.On("GET", repoPath+"/branches/main").File(t, td("branch-main.json"))
	h.On("GET", repoPath+"/commits/"+head+"/status").File(t, td(status))
	h.On("GET", repoPath+"/issues/5/timeline").File(t, td("timeline-closed.json"))
}

// getCalls are the requests of a Get of the open PR #5; closedGetCalls
// those of a closed or merged one, which reads no branch protection.
var (
	getCalls = []string{
		"GET " + repoPath + "/pulls/5",
		"GET " + repoPath + "/pulls/5/reviews?limit=50&page=1",
		"GET " + repoPath + "/pulls/5/reviews?limit=50&page=2",
		"GET " + repoPath + "/branches/main",
		"GET " + repoPath + "/commits/" + head + "/status",
	}
	closedGetCalls = []string{getCalls[0], getCalls[1], getCalls[2], getCalls[4]}
	// A PR closed without merging also reads its timeline: who closed it.
	closedByCalls = []string{getCalls[0], getCalls[1], getCalls[2], "GET " + repoPath + "/issues/5/timeline?limit=50&page=1", getCalls[4]}
)

func TestGet(t *testing.T) {
	t.Parallel()
	base := promotion.PR{Number: 5, URL: "https://gitea.example.com/acme/env/pulls/5", State: promotion.PROpen, Head: branch, HeadSHA: head, Base: "main",
		UpdatedAt: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC),
		// alice stands (a later comment changes nothing), bob's approval is
		// cancelled by his change request, carol's is stale, dave's was
		// dismissed, erin approved on page two; frank's approval (from a Gitea
		// that did not record its commit) is stale.
		Author:           "ferry-bot",
		Approvers:        []string{"alice", "erin"},
		ChangesRequested: []string{"bob"},
		Approvals: []promotion.Approval{
			// At: each one's latest review's submitted_at (alice's comment
			// after her approval is no review of the head).
			{User: "alice", Counted: true, At: reviewAt(10)},
			{User: "carol", Reason: promotion.ReasonStale, At: reviewAt(12)},
			{User: "dave", Reason: promotion.ReasonDismissed, At: reviewAt(16)},
			{User: "erin", Counted: true, At: reviewAt(17)},
			{User: "frank", Reason: promotion.ReasonStale, At: reviewAt(18)},
		},
		Mergeable: true,
	}
	closed := func(pr *promotion.PR, state promotion.PRState) {
		pr.State, pr.Mergeable, pr.NotMergeable = state, false, "the pull request is closed"
	}
	with := func(f func(*promotion.PR)) promotion.PR { pr := base; f(&pr); return pr }
	for _, tc := range []struct {
		name, pull, status string
		want               promotion.PR
	}{
		{"open passed", "pull-open.json", "status-success.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksPassed })},
		{"open warning", "pull-open.json", "status-warning.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksPassed })},
		{"open pending", "pull-open.json", "status-pending.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksPending })},
		{"open failed", "pull-open.json", "status-failure.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksFailed })},
		{"open no statuses", "pull-open.json", "status-none.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksUnknown })},
		{"merged", "pull-merged.json", "status-success.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRMerged)
			pr.Checks, pr.MergeSHA, pr.MergedBy = promotion.ChecksPassed, "7f6e5d4c3b2a19081726354453627180a9b8c7d6", "maria"
		})},
		{"closed", "pull-closed.json", "status-success.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRClosed)
			pr.Checks, pr.ClosedBy = promotion.ChecksPassed, "carol" // the last close, after a reopen
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			serveGet(t, h, tc.pull, tc.status)
			pr, err := newProvider(t, h).Get(context.Background(), 5)
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
				checkCalls(t, h, closedByCalls...)
			default:
				checkCalls(t, h, closedGetCalls...)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", repoPath+"/pulls/5/merge").Status(200)
	serveGet(t, h, "pull-merged.json", "status-success.json")
	pr, err := newProvider(t, h).Merge(context.Background(), 5, head)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != promotion.PRMerged || pr.MergeSHA != "7f6e5d4c3b2a19081726354453627180a9b8c7d6" {
		t.Errorf("Merge = %+v", pr)
	}
	checkCalls(t, h, append([]string{"POST " + repoPath + "/pulls/5/merge"}, closedGetCalls...)...)
	body := h.Requests()[0].JSON(t)
	if body["Do"] != "merge" || body["head_commit_id"] != head {
		t.Errorf("merge body = %v, want Do merge and head_commit_id", body)
	}
}

func TestMergeRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		code   string
	}{
		{409, "head_moved"},
		{405, "pr_not_mergeable"},
	} {
		h := fakehost.New(t)
		h.On("POST", repoPath+"/pulls/5/merge").Status(tc.status).File(t, td("error-head-moved.json"))
		_, err := newProvider(t, h).Merge(context.Background(), 5, head)
		if d, ok := derrors.As(err); !ok || d.Kind != derrors.Conflict || d.Code != tc.code {
			t.Errorf("%d: Merge = %v, want Conflict %s", tc.status, err, tc.code)
		}
		fakehost.CheckNoSecret(t, err, token)
		checkCalls(t, h, "POST "+repoPath+"/pulls/5/merge")
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", repoPath+"/issues/5/comments").Status(201).File(t, td("comment-created.json"))
	h.On("PATCH", repoPath+"/pulls/5").Status(201).File(t, td("pull-closed.json"))
	if err := newProvider(t, h).Close(context.Background(), 5, "Superseded by release 1.4.3."); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, "POST "+repoPath+"/issues/5/comments", "PATCH "+repoPath+"/pulls/5")
	if b := h.Requests()[0].JSON(t); b["body"] != "Superseded by release 1.4.3." {
		t.Errorf("comment body = %v", b)
	}
	if b := h.Requests()[1].JSON(t); b["state"] != "closed" {
		t.Errorf("close body = %v", b)
	}
}

// TestDescribe: a description is rewritten in place (PATCH of the pull
// request's title and body), never through Ensure, which would open a new
// pull request if this one had ended.
func TestDescribe(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("PATCH", repoPath+"/pulls/5").Status(201).File(t, td("pull-open.json"))
	if err := newProvider(t, h).Describe(context.Background(), 5, "payments: stage ← 1.4.2", "**Approvals: 1 of 1**: alice (counted)"); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, "PATCH "+repoPath+"/pulls/5")
	if b := h.Requests()[0].JSON(t); b["title"] != "payments: stage ← 1.4.2" || b["body"] != "**Approvals: 1 of 1**: alice (counted)" || b["state"] != nil {
		t.Errorf("edit body = %v", b)
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
		{"unauthorized", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/5").Status(401).File(t, td("error-unauthorized.json"))
		},
			derrors.Unavailable, "scm_auth_failed", 0, false},
		{"not found", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/5").Status(404).File(t, td("error-not-found.json"))
		},
			derrors.NotFound, "not_found", 0, true},
		{"429 with Retry-After", func(h *fakehost.Host) {
			h.On("GET", repoPath+"/pulls/5").Status(429).Header("Retry-After", "Sat, 15 Jan 2027 08:00:20 GMT").Body(`{"message":"too many requests"}`)
		}, derrors.RateLimited, "scm_rate_limited", 0, false},
		{"server error", func(h *fakehost.Host) { h.On("GET", repoPath+"/pulls/5").Status(500).File(t, td("error-server.json")) },
			derrors.Unavailable, "scm_unavailable", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			tc.route(h)
			p, err := New(config.Provider{URL: h.URL, Project: "acme/env", Token: config.NewSecret(token), RequestsPerMinute: 60},
				outbound.WithHTTPClient(h.Client()), outbound.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Get(context.Background(), 5)
			d, ok := derrors.As(err)
			if !ok || d.Kind != tc.kind || d.Code != tc.code {
				t.Fatalf("Get error = %v, want kind %d code %s", err, tc.kind, tc.code)
			}
			if tc.notFound != errors.Is(err, derrors.ErrNotFound) {
				t.Errorf("errors.Is(err, ErrNotFound) = %v", !tc.notFound)
			}
			if tc.kind == derrors.RateLimited {
				// An HTTP-date Retry-After is read against the clock.
				want := time.Date(2027, 1, 15, 8, 0, 20, 0, time.UTC).Sub(now)
				if d.RetryAfter != want {
					t.Errorf("RetryAfter = %s, want %s", d.RetryAfter, want)
				}
			} else if d.RetryAfter != tc.after {
				t.Errorf("RetryAfter = %s, want %s", d.RetryAfter, tc.after)
			}
			fakehost.CheckNoSecret(t, err, token)
			checkCalls(t, h, "GET "+repoPath+"/pulls/5")
		})
	}
}
