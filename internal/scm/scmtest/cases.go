package scmtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

const (
	branch = "ferry/payments/prod"
	title  = "Promote payments 1.4.2 to prod"
)

var spec = promotion.PRSpec{Head: branch, Base: "main", Title: title, Body: "Digest sha256:4f…"}

type testCase struct {
	name string
	run  func(t *testing.T, e *env)
}

// cases is the table every host passes.
var cases = []testCase{
	{"OpenCreatesPullRequest", func(t *testing.T, e *env) {
		pr := e.ensure(t, spec)
		e.m.Lock()
		defer e.m.Unlock()
		if len(e.m.PRs) != 1 {
			t.Fatalf("host has %d PRs, want 1", len(e.m.PRs))
		}
		got := e.m.PRs[0]
		if got.Head != branch || got.Base != "main" || got.Title != title || got.Body != spec.Body {
			t.Errorf("host PR = %s→%s %q %q, want the spec", got.Head, got.Base, got.Title, got.Body)
		}
		if pr.Number != got.Number || pr.State != promotion.PROpen || pr.Head != branch || pr.Base != "main" || !sameHead(got.HeadSHA(), pr.HeadSHA) {
			t.Errorf("Ensure = %+v, want #%d open %s→main at %s", pr, got.Number, branch, got.HeadSHA())
		}
	}},
	{"OpenUpdatesInPlace", func(t *testing.T, e *env) {
		first := e.ensure(t, spec)
		again := spec
		again.Title = "Promote payments 1.4.3 to prod"
		pr := e.ensure(t, again)
		if pr.Number != first.Number {
			t.Errorf("second Ensure opened #%d, want #%d updated", pr.Number, first.Number)
		}
		e.m.Lock()
		defer e.m.Unlock()
		if len(e.m.PRs) != 1 || e.m.PRs[0].Title != again.Title {
			t.Errorf("host holds %d PRs, first titled %q; want 1 titled %q", len(e.m.PRs), e.m.PRs[0].Title, again.Title)
		}
	}},
	{"OpenUnchangedWritesNothing", func(t *testing.T, e *env) {
		e.ensure(t, spec)
		before := e.m.Writes()
		e.ensure(t, spec)
		if n := e.m.Writes() - before; n != 0 {
			t.Errorf("an unchanged Ensure made %d writes, want 0", n)
		}
	}},
	// Bitbucket and Azure DevOps filter the list by source branch, so
	// this finds the PR among many open ones; each host's own tests page
	// through the lists that do span pages (activity, iterations, builds).
	{"OpenFindsItsPullRequestAmongManyOpen", func(t *testing.T, e *env) {
		e.m.Lock()
		for i := range 120 {
			e.m.Open(fmt.Sprintf("feature/%03d", i), "main", "other", "", "alice")
		}
		mine := e.m.Open(branch, "main", "old title", spec.Body, e.m.Bot)
		e.m.Unlock()
		pr := e.ensure(t, spec)
		if pr.Number != mine.Number {
			t.Errorf("Ensure = #%d, want #%d updated", pr.Number, mine.Number)
		}
		e.m.Lock()
		defer e.m.Unlock()
		if len(e.m.PRs) != 121 || mine.Title != title {
			t.Errorf("host holds %d PRs, Ferry's titled %q; want 121 and %q", len(e.m.PRs), mine.Title, title)
		}
	}},
	{"ApprovalOnHeadCounts", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Review(n, "alice", Approve)
		pr := e.get(t, n)
		checkApprovals(t, pr, promotion.Approval{User: "alice", Counted: true})
		e.m.Lock()
		head := e.m.Find(n).HeadSHA()
		e.m.Unlock()
		if pr.HeadSHA != head {
			// The engine compares it with the commit it pushed.
			t.Errorf("Get: HeadSHA = %q, want the full %q", pr.HeadSHA, head)
		}
		if !slices.Equal(pr.Approvers, []string{"alice"}) || !pr.Mergeable {
			t.Errorf("Approvers = %v, Mergeable = %v (%s); want [alice], true", pr.Approvers, pr.Mergeable, pr.NotMergeable)
		}
	}},
	{"ApprovalBeforeNewPushIsStale", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Review(n, "alice", Approve)
		e.m.Push(n)
		e.m.Review(n, "bob", Approve)
		pr := e.get(t, n)
		checkApprovals(t, pr,
			promotion.Approval{User: "alice", Reason: promotion.ReasonStale},
			promotion.Approval{User: "bob", Counted: true})
		if !slices.Equal(pr.Approvers, []string{"bob"}) {
			t.Errorf("Approvers = %v, want [bob]", pr.Approvers)
		}
	}},
	{"ApprovalByAuthorDoesNotCount", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Review(n, e.m.Bot, Approve)
		pr := e.get(t, n)
		checkApprovals(t, pr, promotion.Approval{User: e.m.Bot, Reason: promotion.ReasonAuthor})
		if len(pr.Approvers) != 0 {
			t.Errorf("Approvers = %v, want none", pr.Approvers)
		}
	}},
	{"ChangesRequestedBlocks", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Review(n, "alice", Approve)
		e.m.Review(n, "carol", RequestChanges)
		pr := e.get(t, n)
		checkApprovals(t, pr, promotion.Approval{User: "alice", Counted: true})
		if !slices.Equal(pr.ChangesRequested, []string{"carol"}) || pr.Mergeable || pr.NotMergeable == "" {
			t.Errorf("ChangesRequested = %v, Mergeable = %v (%q); want [carol], false with a reason", pr.ChangesRequested, pr.Mergeable, pr.NotMergeable)
		}
	}},
	{"ChecksSummarised", func(t *testing.T, e *env) {
		opened := e.ensure(t, spec)
		n := opened.Number
		if pr := e.get(t, n); pr.Checks != promotion.ChecksUnknown {
			t.Errorf("no statuses: Checks = %q, want unknown", pr.Checks)
		}
		e.m.Lock()
		head := e.m.Find(n).HeadSHA()
		e.m.Unlock()
		for _, step := range []struct {
			key   string
			state promotion.Checks
			want  promotion.Checks
		}{
			{"build", promotion.ChecksPending, promotion.ChecksPending},
			{"build", promotion.ChecksPassed, promotion.ChecksPassed},
			{"lint", promotion.ChecksFailed, promotion.ChecksFailed},
		} {
			e.m.SetStatus(head, step.key, step.state)
			if pr := e.get(t, n); pr.Checks != step.want {
				t.Errorf("after %s %s: Checks = %q, want %q", step.key, step.state, pr.Checks, step.want)
			}
		}
		if pr := e.get(t, n); pr.Mergeable {
			t.Errorf("failed check: Mergeable = true, want false")
		}
	}},
	{"MergeMergesCurrentHead", func(t *testing.T, e *env) {
		opened := e.ensure(t, spec)
		e.m.Review(opened.Number, "alice", Approve)
		pr, err := e.p.Merge(context.Background(), opened.Number, opened.HeadSHA)
		if err != nil {
			t.Fatal(err)
		}
		e.m.Lock()
		defer e.m.Unlock()
		host := e.m.Find(opened.Number)
		if host.State != promotion.PRMerged || pr.State != promotion.PRMerged || !sameHead(host.MergeSHA, pr.MergeSHA) {
			t.Errorf("Merge = %s %q, host %s %q; want merged with the host's merge commit", pr.State, pr.MergeSHA, host.State, host.MergeSHA)
		}
	}},
	{"MergeRefusesMovedHead", func(t *testing.T, e *env) {
		opened := e.ensure(t, spec)
		e.m.Push(opened.Number)
		_, err := e.p.Merge(context.Background(), opened.Number, opened.HeadSHA)
		e.checkErr(t, err, derrors.Conflict, "head_moved")
		e.checkOpen(t, opened.Number)
	}},
	{"MergeConflictIsConflict", func(t *testing.T, e *env) {
		opened := e.ensure(t, spec)
		e.m.Lock()
		e.m.Conflict = true
		e.m.Unlock()
		_, err := e.p.Merge(context.Background(), opened.Number, opened.HeadSHA)
		e.checkErr(t, err, derrors.Conflict, "")
		e.checkOpen(t, opened.Number)
	}},
	{"CloseCommentsAndCloses", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		if err := e.p.Close(context.Background(), n, "Superseded by payments 1.4.3"); err != nil {
			t.Fatal(err)
		}
		e.m.Lock()
		host := e.m.Find(n)
		state, comments := host.State, host.Comments
		e.m.Unlock()
		if state != promotion.PRClosed || !slices.Equal(comments, []string{"Superseded by payments 1.4.3"}) {
			t.Errorf("host PR %s with comments %q, want closed with the comment", state, comments)
		}
		if pr := e.get(t, n); pr.State != promotion.PRClosed || pr.Mergeable {
			t.Errorf("Get = %s mergeable=%v, want closed, not mergeable", pr.State, pr.Mergeable)
		}
	}},
	{"PollSeesMergeByAPerson", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Lock()
		host := e.m.Find(n)
		e.m.Merge(host, "alice")
		sha := host.MergeSHA
		e.m.Unlock()
		pr := e.get(t, n)
		if pr.State != promotion.PRMerged || pr.MergeSHA != sha {
			t.Errorf("Get = %s %q, want merged at %s", pr.State, pr.MergeSHA, sha)
		}
	}},
	{"WebhookMergedAndClosed", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Lock()
		host := e.m.Find(n)
		e.m.Merge(host, "alice")
		merged := *host
		e.m.Unlock()
		for kind, pr := range map[promotion.EventKind]PR{promotion.EventMerged: merged, promotion.EventClosed: closedCopy(merged)} {
			h, body := e.h.Deliver(t, &pr, kind)
			ev, err := e.p.Parse(h, body)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if ev.Kind != kind || ev.Number != n || ev.HeadRef != branch {
				t.Errorf("%s delivery parsed as %+v", kind, ev)
			}
			if kind == promotion.EventMerged && !sameHead(merged.MergeSHA, ev.MergeSHA) {
				t.Errorf("merged delivery: MergeSHA = %q, want %q", ev.MergeSHA, merged.MergeSHA)
			}
		}
	}},
	{"WebhookForgedIsRefused", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Lock()
		pr := *e.m.Find(n)
		e.m.Unlock()
		h, body := e.h.Deliver(t, &pr, promotion.EventClosed)
		_, err := e.p.Parse(e.h.Forge(h), body)
		e.checkErr(t, err, derrors.Unauthenticated, "bad_signature")
		_, err = e.p.Parse(h, append(body, ' '))
		if e.h.Host != "azure-devops" { // basic auth does not cover the body
			e.checkErr(t, err, derrors.Unauthenticated, "bad_signature")
		}
	}},
	{"BadTokenIsAuthFailure", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		_, err := e.h.Start(t, e.m, "wrong-"+e.h.Token).Get(context.Background(), n)
		e.checkErr(t, err, derrors.Unavailable, "scm_auth_failed")
	}},
	{"RateLimitHonoursRetryAfter", func(t *testing.T, e *env) {
		n := e.ensure(t, spec).Number
		e.m.Limit(1)
		_, err := e.p.Get(context.Background(), n)
		e.checkErr(t, err, derrors.RateLimited, "scm_rate_limited")
		if d, ok := derrors.As(err); ok && (d.RetryAfter <= RetryAfter-2e9 || d.RetryAfter > RetryAfter) {
			t.Errorf("RetryAfter = %s, want the host's %s", d.RetryAfter, RetryAfter)
		}
		calls := e.m.Calls()
		_, err = e.p.Get(context.Background(), n)
		e.checkErr(t, err, derrors.RateLimited, "scm_rate_limited")
		if got := e.m.Calls() - calls; got != 0 {
			t.Errorf("while limited, Get sent %d requests, want 0", got)
		}
	}},
}

func closedCopy(pr PR) PR {
	pr.State, pr.MergeSHA = promotion.PRClosed, ""
	return pr
}

func (e *env) ensure(t *testing.T, s promotion.PRSpec) promotion.PR {
	t.Helper()
	pr, err := e.p.Ensure(context.Background(), s)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return pr
}

func (e *env) get(t *testing.T, n int) promotion.PR {
	t.Helper()
	pr, err := e.p.Get(context.Background(), n)
	if err != nil {
		t.Fatalf("Get #%d: %v", n, err)
	}
	return pr
}

func (e *env) checkOpen(t *testing.T, n int) {
	t.Helper()
	e.m.Lock()
	defer e.m.Unlock()
	if st := e.m.Find(n).State; st != promotion.PROpen {
		t.Errorf("host PR #%d is %s, want still open", n, st)
	}
}

func checkApprovals(t *testing.T, pr promotion.PR, want ...promotion.Approval) {
	t.Helper()
	if !slices.Equal(pr.Approvals, want) {
		t.Errorf("Approvals = %+v, want %+v", pr.Approvals, want)
	}
}

// checkErr asserts err's kind and, when code is not empty, its code, and
// that it does not reveal the token.
func (e *env) checkErr(t *testing.T, err error, kind derrors.Kind, code string) {
	t.Helper()
	if err != nil && e.h.Token != "" && strings.Contains(err.Error(), e.h.Token) {
		t.Errorf("error reveals the token: %v", err)
	}
	d, ok := derrors.As(err)
	if !ok || d.Kind != kind || code != "" && d.Code != code {
		t.Errorf("err = %v (%+v), want kind %d code %q", err, d, kind, code)
	}
}

// sameHead compares a full commit id with a host's report of it, which may
// be abbreviated (Bitbucket Cloud reports 12 characters).
func sameHead(full, reported string) bool {
	return len(reported) >= 12 && strings.HasPrefix(full, reported)
}
