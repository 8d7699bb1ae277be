package gitea

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

const older = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"

// review is one review in a list Gitea returns, oldest first.
type review struct {
	user, state, commit        string
	official, stale, dismissed bool
}

func approved(user string) review {
	return review{user: user, state: "APPROVED", commit: head, official: true}
}

// reviewAt is the submitted_at of testdata's reviews: 2026-11-20 at 11:<minute> UTC.
func reviewAt(minute int) time.Time { return time.Date(2026, 11, 20, 11, minute, 0, 0, time.UTC) }

// withAt returns approvals each given at at, as reviewsJSON's reviews are
// (the first review of testdata/reviews-page1.json's submitted_at).
func withAt(approvals []promotion.Approval, at time.Time) []promotion.Approval {
	out := slices.Clone(approvals)
	for i := range out {
		out[i].At = at
	}
	return out
}

// reviewsJSON is Gitea's list of reviews, each made from the first review
// of testdata/reviews-page1.json so that every field Gitea sends is there.
func reviewsJSON(t *testing.T, rs ...review) string {
	t.Helper()
	var page []map[string]any
	readJSON(t, "reviews-page1.json", &page)
	out := []map[string]any{}
	for i, r := range rs {
		var rv map[string]any
		b, _ := json.Marshal(page[0])
		_ = json.Unmarshal(b, &rv)
		rv["id"], rv["state"], rv["commit_id"] = 100+i, r.state, r.commit
		rv["official"], rv["stale"], rv["dismissed"] = r.official, r.stale, r.dismissed
		u := rv["user"].(map[string]any)
		u["login"], u["username"] = r.user, r.user
		out = append(out, rv)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// statusJSON is a combined status with one status per context and state.
func statusJSON(t *testing.T, state string, contexts ...string) string {
	t.Helper()
	var st map[string]any
	readJSON(t, "status-success.json", &st)
	tmpl := st["statuses"].([]any)[0].(map[string]any)
	statuses := []any{}
	for i, c := range contexts {
		s := map[string]any{}
		for k, v := range tmpl {
			s[k] = v
		}
		s["id"], s["context"], s["status"] = i+1, c, state
		statuses = append(statuses, s)
	}
	st["state"], st["statuses"], st["total_count"] = state, statuses, len(statuses)
	if len(statuses) == 0 {
		st["state"] = ""
	}
	b, _ := json.Marshal(st)
	return string(b)
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(td(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestGovernance: Gitea reports every approval with whether Gitea counts
// it on the current head and why not, reports change requests, and says
// when its own protection would refuse the merge.
func TestGovernance(t *testing.T) {
	t.Parallel()
	success := func(t *testing.T) string { return statusJSON(t, "success", "ci/build") }
	for _, tc := range []struct {
		name      string
		reviews   []review
		mergeable *bool  // the PR's "mergeable"; default true
		branch    string // testdata file of GET /branches/main
		status    func(t *testing.T) string

		approvals []promotion.Approval
		changes   []string
		checks    promotion.Checks
		why       string // "" when mergeable
	}{
		{name: "a writer's official approval counts",
			reviews:   []review{approved("alice")},
			approvals: []promotion.Approval{{User: "alice", Counted: true}}},
		{name: "an outsider's approval is not official and does not count",
			reviews:   []review{{user: "mallory", state: "APPROVED", commit: head}},
			approvals: []promotion.Approval{{User: "mallory", Reason: promotion.ReasonNotOfficial}}},
		{name: "the author's own approval does not count",
			reviews:   []review{approved("ferry-bot")},
			approvals: []promotion.Approval{{User: "ferry-bot", Reason: promotion.ReasonAuthor}}},
		{name: "an approval before a new push is stale",
			reviews:   []review{{user: "alice", state: "APPROVED", commit: older, official: true, stale: true}, {user: "carol", state: "APPROVED", commit: older, official: true}},
			approvals: []promotion.Approval{{User: "alice", Reason: promotion.ReasonStale}, {User: "carol", Reason: promotion.ReasonStale}}},
		{name: "a dismissed approval does not count",
			reviews:   []review{{user: "alice", state: "APPROVED", commit: head, official: true, dismissed: true}},
			approvals: []promotion.Approval{{User: "alice", Reason: promotion.ReasonDismissed}}},
		{name: "a change request replaces an approval and is reported until dismissed",
			reviews: []review{approved("alice"), approved("bob"), {user: "bob", state: "REQUEST_CHANGES", commit: head, official: true},
				{user: "carol", state: "REQUEST_CHANGES", commit: head, official: true, dismissed: true}},
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			changes:   []string{"bob"}},
		{name: "a required check not reported yet is pending and blocks",
			reviews: []review{approved("alice")}, branch: "branch-main-required-build.json",
			status:    func(t *testing.T) string { return statusJSON(t, "success") },
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			checks:    promotion.ChecksPending,
			why:       `required check "ci/build" not reported yet`},
		{name: "a required check matched by a pattern that is pending blocks",
			reviews: []review{approved("alice")}, branch: "branch-main-protected.json",
			status:    func(t *testing.T) string { return statusJSON(t, "pending", "ci/build") },
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			checks:    promotion.ChecksPending,
			why:       "branch protection of main requires passing status checks; they are pending"},
		{name: "protection with its required checks and approvals met is mergeable",
			reviews: []review{approved("alice")}, branch: "branch-main-protected.json",
			approvals: []promotion.Approval{{User: "alice", Counted: true}}},
		{name: "protection requiring two approvals blocks with one",
			reviews: []review{approved("alice"), {user: "mallory", state: "APPROVED", commit: head}}, branch: "branch-main-two-approvals.json",
			approvals: []promotion.Approval{{User: "alice", Counted: true}, {User: "mallory", Reason: promotion.ReasonNotOfficial}},
			why:       "branch protection of main requires 2 official approvals, 1 counted"},
		{name: "protection that does not let Ferry merge blocks",
			reviews: []review{approved("alice")}, branch: "branch-main-no-merge.json",
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			why:       "branch protection of main does not let Ferry's account merge"},
		{name: "conflicts are not mergeable",
			mergeable: new(bool),
			why:       "Gitea reports merge conflicts, or is still checking whether the pull request can merge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.branch == "" {
				tc.branch = "branch-main.json"
			}
			if tc.status == nil {
				tc.status = success
			}
			if tc.checks == "" {
				tc.checks = promotion.ChecksPassed
			}
			var pull map[string]any
			readJSON(t, "pull-open.json", &pull)
			pull["mergeable"] = tc.mergeable == nil || *tc.mergeable
			pullBody, _ := json.Marshal(pull)
			h := fakehost.New(t)
			h.On("GET", repoPath+"/pulls/5/reviews").Body(reviewsJSON(t, tc.reviews...))
			h.On("GET", repoPath+"/pulls/5").Body(string(pullBody))
			h.On("GET", repoPath+"/branches/main").File(t, td(tc.branch))
			h.On("GET", repoPath+"/commits/"+head+"/status").Body(tc.status(t))

			pr, err := newProvider(t, h).Get(context.Background(), 5)
			if err != nil {
				t.Fatal(err)
			}
			if want := withAt(tc.approvals, reviewAt(10)); !slices.Equal(pr.Approvals, want) {
				t.Errorf("Approvals = %+v, want %+v", pr.Approvals, want)
			}
			if want := promotion.CountedApprovers(tc.approvals); !slices.Equal(pr.Approvers, want) {
				t.Errorf("Approvers = %q, want %q", pr.Approvers, want)
			}
			if !slices.Equal(pr.ChangesRequested, tc.changes) {
				t.Errorf("ChangesRequested = %q, want %q", pr.ChangesRequested, tc.changes)
			}
			if pr.Checks != tc.checks {
				t.Errorf("Checks = %q, want %q", pr.Checks, tc.checks)
			}
			if pr.Mergeable != (tc.why == "") || pr.NotMergeable != tc.why {
				t.Errorf("Mergeable, NotMergeable = %v, %q; want %v, %q", pr.Mergeable, pr.NotMergeable, tc.why == "", tc.why)
			}
		})
	}
}
