package github

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

const older = "1f9c0a3e0d5a7c6b5e4f3a2b1c0d9e8f7a6b5c4d"

// review is one review in a list GitHub returns, oldest first.
type review struct{ user, state, commit string }

// reviewedAt is the submitted_at of the first review of
// testdata/reviews-page1.json, which reviewsJSON's reviews copy.
var reviewedAt = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// withAt returns approvals each given at at.
func withAt(approvals []promotion.Approval, at time.Time) []promotion.Approval {
	out := slices.Clone(approvals)
	for i := range out {
		out[i].At = at
	}
	return out
}

// reviewsJSON is GitHub's list of reviews, each made from the first review
// of testdata/reviews-page1.json so that every field GitHub sends is there.
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
		rv["user"].(map[string]any)["login"] = r.user
		out = append(out, rv)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pullJSON is testdata/pull-open.json with edit applied.
func pullJSON(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	var pr map[string]any
	readJSON(t, "pull-open.json", &pr)
	if edit != nil {
		edit(pr)
	}
	b, err := json.Marshal(pr)
	if err != nil {
		t.Fatal(err)
	}
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

// TestGovernance: GitHub reports every approval with whether GitHub counts
// it on the current head and why not, reports change requests, and says
// when its own protection would refuse the merge.
func TestGovernance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		reviews []review
		pull    func(map[string]any)
		branch  string // testdata file of GET /branches/main
		rules   string // testdata file of GET /rules/branches/main
		status  string
		runs    string
		// perms are the reviewers whose permission Ferry must ask.
		perms []string

		approvals []promotion.Approval
		changes   []string
		checks    promotion.Checks
		mergeable bool
		why       string
	}{
		{name: "a writer's approval counts",
			reviews:   []review{{"alice", "APPROVED", head}},
			perms:     []string{"alice"},
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			mergeable: true},
		{name: "a maintainer's and an admin's approvals count",
			reviews:   []review{{"erin", "APPROVED", head}, {"bob", "APPROVED", head}},
			perms:     []string{"bob", "erin"},
			approvals: []promotion.Approval{{User: "bob", Counted: true}, {User: "erin", Counted: true}},
			mergeable: true},
		{name: "an outsider's approval does not count",
			reviews:   []review{{"mallory", "APPROVED", head}, {"trent", "APPROVED", head}},
			perms:     []string{"mallory", "trent"},
			approvals: []promotion.Approval{{User: "mallory", Reason: promotion.ReasonNoWrite}, {User: "trent", Reason: promotion.ReasonNoWrite}},
			mergeable: true},
		{name: "the author's own approval does not count",
			reviews:   []review{{"ferry-bot", "APPROVED", head}},
			approvals: []promotion.Approval{{User: "ferry-bot", Reason: promotion.ReasonAuthor}},
			mergeable: true},
		{name: "an approval before a new push is stale",
			reviews:   []review{{"alice", "APPROVED", older}},
			approvals: []promotion.Approval{{User: "alice", Reason: promotion.ReasonStale}},
			mergeable: true},
		{name: "a dismissed approval does not count",
			reviews:   []review{{"alice", "DISMISSED", head}},
			approvals: []promotion.Approval{{User: "alice", Reason: promotion.ReasonDismissed}},
			mergeable: true},
		{name: "a later change request replaces an approval and is reported",
			reviews:   []review{{"alice", "APPROVED", head}, {"bob", "APPROVED", head}, {"bob", "CHANGES_REQUESTED", head}, {"bob", "COMMENTED", head}},
			perms:     []string{"alice"},
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			changes:   []string{"bob"},
			mergeable: true},
		{name: "a required check not reported yet is pending and blocks",
			reviews: []review{{"alice", "APPROVED", head}}, perms: []string{"alice"},
			branch: "branch-main-protected.json", status: "status-none.json", runs: "check-runs-empty.json",
			pull:      func(pr map[string]any) { pr["mergeable_state"] = "blocked" },
			approvals: []promotion.Approval{{User: "alice", Counted: true}},
			checks:    promotion.ChecksPending,
			why:       `required check "ci/build" not reported yet`},
		{name: "a ruleset's required check not reported yet blocks although others passed",
			rules: "rules-required-checks.json", status: "status-success.json", runs: "check-runs-passed.json",
			pull:   func(pr map[string]any) { pr["mergeable_state"] = "blocked" },
			checks: promotion.ChecksPending,
			why:    `required check "ferry/verify" not reported yet`},
		{name: "a missing required check blocks even when GitHub still says clean",
			branch: "branch-main-protected.json", status: "status-none.json",
			runs:   "check-runs-passed.json",
			pull:   func(pr map[string]any) { pr["mergeable_state"] = "clean" },
			checks: promotion.ChecksPending,
			why:    `required check "ci/build" not reported yet`},
		{name: "branch protection blocks the merge",
			pull:   func(pr map[string]any) { pr["mergeable_state"] = "blocked" },
			checks: promotion.ChecksPassed,
			why:    "GitHub's branch protection or rulesets block the merge (required reviews, checks or code owners)"},
		{name: "mergeability not computed yet is not mergeable",
			pull:   func(pr map[string]any) { pr["mergeable"], pr["mergeable_state"] = nil, "unknown" },
			checks: promotion.ChecksPassed,
			why:    "GitHub is still working out whether the pull request can merge"},
		{name: "conflicts are not mergeable",
			pull:   func(pr map[string]any) { pr["mergeable"], pr["mergeable_state"] = false, "dirty" },
			checks: promotion.ChecksPassed,
			why:    "the pull request has merge conflicts"},
		{name: "a branch behind a strict base is not mergeable",
			pull:   func(pr map[string]any) { pr["mergeable_state"] = "behind" },
			checks: promotion.ChecksPassed,
			why:    "the head branch is behind the base, and the base requires it to be up to date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.branch = cmpOr(tc.branch, "branch-main.json")
			tc.rules = cmpOr(tc.rules, "rules-empty.json")
			tc.status = cmpOr(tc.status, "status-success.json")
			tc.runs = cmpOr(tc.runs, "check-runs-passed.json")
			if tc.checks == "" {
				tc.checks = promotion.ChecksPassed
			}
			h := fakehost.New(t)
			h.On("GET", repoPath+"/pulls/7/reviews").Body(reviewsJSON(t, tc.reviews...))
			h.On("GET", repoPath+"/pulls/7").Body(pullJSON(t, tc.pull))
			for _, u := range []string{"alice", "bob", "erin", "mallory", "trent"} {
				h.On("GET", repoPath+"/collaborators/"+u+"/permission").File(t, td("permission-"+u+".json"))
			}
			h.On("GET", repoPath+"/branches/main").File(t, td(tc.branch))
			h.On("GET", repoPath+"/rules/branches/main").File(t, td(tc.rules))
			h.On("GET", repoPath+"/commits/"+head+"/status").File(t, td(tc.status))
			h.On("GET", repoPath+"/commits/"+head+"/check-runs").File(t, td(tc.runs))

			pr, err := newProvider(t, h).Get(context.Background(), 7)
			if err != nil {
				t.Fatal(err)
			}
			if want := withAt(tc.approvals, reviewedAt); !slices.Equal(pr.Approvals, want) {
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
			if pr.Mergeable != tc.mergeable || pr.NotMergeable != tc.why {
				t.Errorf("Mergeable, NotMergeable = %v, %q; want %v, %q", pr.Mergeable, pr.NotMergeable, tc.mergeable, tc.why)
			}
			if pr.Author != "ferry-bot" {
				t.Errorf("Author = %q, want ferry-bot", pr.Author)
			}
			var asked []string
			for _, r := range h.Requests() {
				if u, ok := permissionUser(r.Path); ok {
					asked = append(asked, u)
				}
			}
			if !slices.Equal(asked, tc.perms) {
				t.Errorf("asked the permission of %q, want %q", asked, tc.perms)
			}
		})
	}
}

func permissionUser(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, repoPath+"/collaborators/")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "/permission")
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
