package gitlab

import (
	"context"
	"errors"
	"os"
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
	token  = "glpat-s3cr3tT0kenValue"
	head   = "8ad2e4d3a7b1c9f0e6d5c4b3a2f1e0d9c8b7a6f5"
	branch = "ferry/payments/prod"
	mrs    = "/api/v4/projects/acme%2Fenv/merge_requests"
)

func td(name string) string { return filepath.Join("testdata", name) }

func newProvider(t *testing.T, h *fakehost.Host, edit ...func(*config.Provider)) *Provider {
	t.Helper()
	p, err := New(h.Provider(config.ProviderGitLab, token, edit...), outbound.WithHTTPClient(h.Client()), outbound.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkCalls(t *testing.T, h *fakehost.Host, want ...string) {
	t.Helper()
	h.CheckCalls(t, "PRIVATE-TOKEN", token, want...)
}

const listing = "GET " + mrs + "?per_page=100&source_branch=ferry%2Fpayments%2Fprod&state=opened"

func TestEnsureCreates(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", mrs).File(t, td("mrs-empty.json")).Header("X-Page", "1").Header("X-Total-Pages", "1")
	h.On("POST", mrs).Status(201).File(t, td("mr-created.json"))
	pr, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "Promote payments 1.4.2 to prod", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	want := promotion.PR{Number: 43, URL: "https://gitlab.com/acme/env/-/merge_requests/43", State: promotion.PROpen, Head: branch, HeadSHA: head, Base: "main", Author: "ferry-bot",
		UpdatedAt: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)}
	if !fakehost.EqualPR(pr, want) {
		t.Errorf("Ensure = %+v, want %+v", pr, want)
	}
	checkCalls(t, h, listing, "POST "+mrs)
	body := h.Requests()[1].JSON(t)
	for k, v := range map[string]string{"title": "Promote payments 1.4.2 to prod", "source_branch": branch, "target_branch": "main", "description": "body"} {
		if body[k] != v {
			t.Errorf("create body %s = %v, want %q", k, body[k], v)
		}
	}
}

func TestEnsureUpdatesExisting(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", mrs+"?page=2").File(t, td("mrs-open.json")).Header("X-Page", "2").Header("X-Next-Page", "")
	h.On("GET", mrs).Body("[]").Header("X-Page", "1").Header("X-Next-Page", "2").Header("X-Total-Pages", "2")
	h.On("PUT", mrs+"/42").File(t, td("mr-updated.json"))
	pr, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "new title", Body: "new body"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 42 || pr.URL != "https://gitlab.com/acme/env/-/merge_requests/42" {
		t.Errorf("Ensure = %+v, want !42", pr)
	}
	checkCalls(t, h, listing, "GET "+mrs+"?page=2&per_page=100&source_branch=ferry%2Fpayments%2Fprod&state=opened", "PUT "+mrs+"/42")
	body := h.Requests()[2].JSON(t)
	if body["title"] != "new title" || body["description"] != "new body" {
		t.Errorf("update body = %v", body)
	}
	if _, ok := body["target_branch"]; ok {
		t.Errorf("update changed the target although it is the same: %v", body)
	}
}

func TestEnsureUnchangedSendsNoWrite(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", mrs).File(t, td("mrs-open.json"))
	if _, err := newProvider(t, h).Ensure(context.Background(), promotion.PRSpec{Head: branch, Base: "main", Title: "old title", Body: "old body"}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, listing)
}

// getCalls are the requests of a Get of the open merge request !42;
// closedGetCalls those of a closed or merged one, which reads no reviewers.
var (
	getCalls       = []string{"GET " + mrs + "/42", "GET " + mrs + "/42/approvals", "GET " + mrs + "/42/approval_state", "GET " + mrs + "/42/reviewers"}
	closedGetCalls = getCalls[:3]
)

// serveGet scripts the reads of a Get of !42: the merge request, its
// approvals, its approval rules (maria, li and oleg are eligible) and its
// reviewers (none requests changes).
func serveGet(t *testing.T, h *fakehost.Host, mr, approvals string) {
	h.On("GET", mrs+"/42").File(t, td(mr))
	h.On("GET", mrs+"/42/approvals").File(t, td(approvals))
	h.On("GET", mrs+"/42/approval_state").File(t, td("approval-state.json"))
	h.On("GET", mrs+"/42/reviewers").File(t, td("reviewers.json"))
}

func TestGet(t *testing.T) {
	t.Parallel()
	base := promotion.PR{Number: 42, URL: "https://gitlab.com/acme/env/-/merge_requests/42", State: promotion.PROpen, Head: branch, HeadSHA: head, Base: "main",
		UpdatedAt: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), Approvers: []string{"li", "maria"},
		Author:    "ferry-bot",
		Approvals: []promotion.Approval{{User: "li", Counted: true}, {User: "maria", Counted: true}},
		Mergeable: true}
	closed := func(pr *promotion.PR, state promotion.PRState) {
		pr.State, pr.Mergeable, pr.NotMergeable = state, false, "the merge request is "+string(state)
	}
	with := func(f func(*promotion.PR)) promotion.PR { pr := base; f(&pr); return pr }
	for _, tc := range []struct {
		name, mr, approvals string
		want                promotion.PR
	}{
		{"open running", "mr-open.json", "approvals.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksPending })},
		{"open passed", "mr-open-passed.json", "approvals.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksPassed })},
		{"open failed", "mr-open-failed.json", "approvals.json", with(func(pr *promotion.PR) { pr.Checks = promotion.ChecksFailed })},
		{"open no pipeline, no approvals", "mr-open-nopipeline.json", "approvals-none.json",
			with(func(pr *promotion.PR) { pr.Checks, pr.Approvers, pr.Approvals = promotion.ChecksUnknown, nil, nil })},
		{"merged", "mr-merged.json", "approvals.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRMerged)
			pr.Checks, pr.MergedBy, pr.MergeSHA = promotion.ChecksPassed, "maria", "9d7c2b8e1f0a3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
		})},
		{"merged squashed", "mr-merged-squash.json", "approvals.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRMerged)
			pr.Checks, pr.MergedBy, pr.MergeSHA = promotion.ChecksPassed, "maria", "af5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b"
		})},
		{"merged fast-forward", "mr-merged-ff.json", "approvals.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRMerged)
			pr.Checks, pr.MergedBy, pr.MergeSHA = promotion.ChecksPassed, "maria", head
		})},
		{"closed", "mr-closed.json", "approvals.json", with(func(pr *promotion.PR) {
			closed(pr, promotion.PRClosed)
			pr.Checks, pr.ClosedBy = promotion.ChecksPassed, "oleg"
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			serveGet(t, h, tc.mr, tc.approvals)
			pr, err := newProvider(t, h).Get(context.Background(), 42)
			if err != nil {
				t.Fatal(err)
			}
			if !fakehost.EqualPR(pr, tc.want) {
				t.Errorf("Get =\n %+v\nwant\n %+v", pr, tc.want)
			}
			if tc.want.State == promotion.PROpen {
				checkCalls(t, h, getCalls...)
			} else {
				checkCalls(t, h, closedGetCalls...)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("PUT", mrs+"/42/merge").File(t, td("mr-merged.json"))
	serveGet(t, h, "mr-merged.json", "approvals.json")
	pr, err := newProvider(t, h).Merge(context.Background(), 42, head)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != promotion.PRMerged || pr.MergeSHA != "9d7c2b8e1f0a3c4d5e6f7a8b9c0d1e2f3a4b5c6d" || pr.MergedBy != "maria" {
		t.Errorf("Merge = %+v", pr)
	}
	checkCalls(t, h, append([]string{"PUT " + mrs + "/42/merge"}, closedGetCalls...)...)
	if body := h.Requests()[0].JSON(t); body["sha"] != head {
		t.Errorf("merge body = %v, want sha %s", body, head)
	}
}

func TestMergeRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		file   string
		code   string
	}{
		{409, "error-sha-mismatch.json", "head_moved"},
		{405, "error-not-mergeable.json", "pr_not_mergeable"},
	} {
		h := fakehost.New(t)
		h.On("PUT", mrs+"/42/merge").Status(tc.status).File(t, td(tc.file))
		_, err := newProvider(t, h).Merge(context.Background(), 42, head)
		d, ok := derrors.As(err)
		if !ok || d.Kind != derrors.Conflict || d.Code != tc.code {
			t.Errorf("%d: Merge = %v, want Conflict %s", tc.status, err, tc.code)
		}
		fakehost.CheckNoSecret(t, err, token)
		checkCalls(t, h, "PUT "+mrs+"/42/merge")
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", mrs+"/42/notes").Status(201).File(t, td("note-created.json"))
	h.On("PUT", mrs+"/42").File(t, td("mr-closed.json"))
	if err := newProvider(t, h).Close(context.Background(), 42, "Superseded by release 1.4.3."); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, h, "POST "+mrs+"/42/notes", "PUT "+mrs+"/42")
	if b := h.Requests()[0].JSON(t); b["body"] != "Superseded by release 1.4.3." {
		t.Errorf("note body = %v", b)
	}
	if b := h.Requests()[1].JSON(t); b["state_event"] != "close" {
		t.Errorf("close body = %v", b)
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
		{"unauthorized", func(h *fakehost.Host) { h.On("GET", mrs+"/42").Status(401).File(t, td("error-unauthorized.json")) },
			derrors.Unavailable, "scm_auth_failed", 0, false},
		{"forbidden", func(h *fakehost.Host) { h.On("GET", mrs+"/42").Status(403).File(t, td("error-forbidden.json")) },
			derrors.Unavailable, "scm_auth_failed", 0, false},
		{"not found", func(h *fakehost.Host) { h.On("GET", mrs+"/42").Status(404).File(t, td("error-not-found.json")) },
			derrors.NotFound, "not_found", 0, true},
		{"429 with Retry-After", func(h *fakehost.Host) {
			h.On("GET", mrs+"/42").Status(429).Header("Retry-After", "45").Header("RateLimit-Remaining", "0").
				Header("RateLimit-Reset", "1800000045").Header("Content-Type", "text/plain").Body("Retry later\n")
		}, derrors.RateLimited, "scm_rate_limited", 45 * time.Second, false},
		{"429 with RateLimit-Reset only", func(h *fakehost.Host) {
			h.On("GET", mrs+"/42").Status(429).Header("RateLimit-Limit", "600").Header("RateLimit-Remaining", "0").
				Header("RateLimit-Reset", "1800000090").Header("Content-Type", "text/plain").Body("Retry later\n")
		}, derrors.RateLimited, "scm_rate_limited", 90 * time.Second, false},
		{"server error", func(h *fakehost.Host) { h.On("GET", mrs+"/42").Status(500).File(t, td("error-server.json")) },
			derrors.Unavailable, "scm_unavailable", 0, false},
		{"bad gateway", func(h *fakehost.Host) { h.On("GET", mrs+"/42").Status(502).Body("<html>502</html>") },
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
			_, err = p.Get(context.Background(), 42)
			d, ok := derrors.As(err)
			if !ok || d.Kind != tc.kind || d.Code != tc.code {
				t.Fatalf("Get error = %v, want kind %d code %s", err, tc.kind, tc.code)
			}
			if tc.notFound != errors.Is(err, derrors.ErrNotFound) {
				t.Errorf("errors.Is(err, ErrNotFound) = %v", !tc.notFound)
			}
			if d.RetryAfter != tc.after {
				t.Errorf("RetryAfter = %s, want %s", d.RetryAfter, tc.after)
			}
			fakehost.CheckNoSecret(t, err, token)
			// One request: no retry loop, whatever the answer.
			checkCalls(t, h, "GET "+mrs+"/42")
		})
	}
}

func TestBudgetFailsFast(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", mrs+"/42/notes").Status(201).File(t, td("note-created.json"))
	h.On("PUT", mrs+"/42").File(t, td("mr-closed.json"))
	p := newProvider(t, h, func(c *config.Provider) { c.RequestsPerMinute = 1 })
	err := p.Close(context.Background(), 42, "bye")
	if d, ok := derrors.As(err); !ok || d.Kind != derrors.RateLimited || d.RetryAfter < 55*time.Second {
		t.Fatalf("Close at 1/min = %v, want RateLimited for about a minute", err)
	}
	checkCalls(t, h, "POST "+mrs+"/42/notes")
}

func TestParse(t *testing.T) {
	t.Parallel()
	p := newProvider(t, fakehost.New(t))
	hdr := func(event, tok string) promotion.Headers {
		h := promotion.Headers{}
		h.Set("X-Gitlab-Event", event)
		h.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
		h.Set("Idempotency-Key", "f6c1a4a2-8c1e-4bcb-9d2b-0e6c5f1b3a77")
		if tok != "" {
			h.Set("X-Gitlab-Token", tok)
		}
		return h
	}
	const merge = "9d7c2b8e1f0a3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
	for _, tc := range []struct {
		event, file string
		want        promotion.Event
	}{
		{"Merge Request Hook", "hook-mr-merge.json", promotion.Event{Kind: promotion.EventMerged, Number: 42, HeadRef: branch, HeadSHA: head, MergeSHA: merge, Actor: "maria"}},
		{"Merge Request Hook", "hook-mr-close.json", promotion.Event{Kind: promotion.EventClosed, Number: 42, HeadRef: branch, HeadSHA: head, Actor: "oleg"}},
		{"Merge Request Hook", "hook-mr-update.json", promotion.Event{Kind: promotion.EventUpdated, Number: 42, HeadRef: branch, HeadSHA: head, Actor: "ferry-bot"}},
		{"Merge Request Hook", "hook-mr-approved.json", promotion.Event{Kind: promotion.EventReviewed, Number: 42, HeadRef: branch, HeadSHA: head, Actor: "li"}},
		{"Merge Request Hook", "hook-mr-open.json", promotion.Event{Kind: promotion.EventIgnored, Number: 42, HeadRef: branch, HeadSHA: head, Actor: "ferry-bot"}},
		{"Pipeline Hook", "hook-pipeline.json", promotion.Event{Kind: promotion.EventChecks, Number: 42, HeadSHA: head}},
		// A commit status posted by a deploy tool runs in an external
		// pipeline on the environment branch, with no merge request.
		{"Pipeline Hook", "hook-pipeline-external.json", promotion.Event{Kind: promotion.EventChecks, HeadSHA: "0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"}},
		{"Push Hook", "hook-push.json", promotion.Event{Kind: promotion.EventIgnored}},
	} {
		body, err := os.ReadFile(td(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := p.Parse(hdr(tc.event, "hook-secret"), body)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		tc.want.Delivery = "f6c1a4a2-8c1e-4bcb-9d2b-0e6c5f1b3a77"
		if ev != tc.want {
			t.Errorf("%s: Parse =\n %+v\nwant\n %+v", tc.file, ev, tc.want)
		}
	}
	// Without Idempotency-Key the event UUID is the delivery id.
	h := hdr("Push Hook", "hook-secret")
	delete(h, "idempotency-key")
	if ev, err := p.Parse(h, []byte(`{}`)); err != nil || ev.Delivery != "13792a34-cac6-4fda-95a8-c58e00a3954e" {
		t.Errorf("Parse without Idempotency-Key = %+v, %v", ev, err)
	}
	for name, tok := range map[string]string{"missing": "", "wrong": "hook-secreT", "prefix": "hook-secre"} {
		_, err := p.Parse(hdr("Merge Request Hook", tok), []byte(`{}`))
		if d, ok := derrors.As(err); !ok || d.Kind != derrors.Unauthenticated || d.Code != "bad_signature" {
			t.Errorf("%s token: Parse = %v, want bad_signature", name, err)
		}
	}
	_, err := p.Parse(hdr("Merge Request Hook", "hook-secret"), []byte(`{"object_attributes":`))
	if d, ok := derrors.As(err); !ok || d.Kind != derrors.Invalid || d.Code != "invalid_webhook" {
		t.Errorf("malformed: Parse = %v, want invalid_webhook", err)
	}
}
