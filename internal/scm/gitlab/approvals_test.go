package gitlab

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

// approvalsJSON is testdata/approvals.json approved by users, each made
// from its first approver so that every field GitLab sends is there.
func approvalsJSON(t *testing.T, users ...string) string {
	t.Helper()
	var a map[string]any
	readJSON(t, "approvals.json", &a)
	tmpl := a["approved_by"].([]any)[0].(map[string]any)["user"].(map[string]any)
	by := []any{}
	for i, u := range users {
		user := map[string]any{}
		for k, v := range tmpl {
			user[k] = v
		}
		user["id"], user["username"] = 100+i, u
		by = append(by, map[string]any{"user": user})
	}
	a["approved_by"] = by
	b, _ := json.Marshal(a)
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

// TestGovernance: GitLab reports every approval with whether GitLab counts
// it and why not, reports change requests, and says when its own merge
// checks would refuse the merge.
func TestGovernance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		approvers []string
		state     string // testdata file of GET approval_state; "404" on Community Edition
		reviewers string
		mr        string
		detailed  string // detailed_merge_status; default mergeable

		approvals []promotion.Approval
		changes   []string
		checks    promotion.Checks
		why       string
	}{
		{name: "an eligible approver's approval counts",
			approvers: []string{"maria"},
			approvals: []promotion.Approval{{User: "maria", Counted: true}}},
		{name: "an approver no rule lists does not count",
			approvers: []string{"li", "maria"}, state: "approval-state-oleg-only.json",
			approvals: []promotion.Approval{{User: "li", Reason: promotion.ReasonNotEligible}, {User: "maria", Reason: promotion.ReasonNotEligible}}},
		{name: "an any-approver rule counts every approval GitLab accepted",
			approvers: []string{"li"}, state: "approval-state-any.json",
			approvals: []promotion.Approval{{User: "li", Counted: true}}},
		{name: "without approval rules (Community Edition) every approval GitLab accepted counts",
			approvers: []string{"li"}, state: "404",
			approvals: []promotion.Approval{{User: "li", Counted: true}}},
		{name: "the author's own approval does not count",
			approvers: []string{"ferry-bot", "maria"}, state: "approval-state-none.json",
			approvals: []promotion.Approval{{User: "ferry-bot", Reason: promotion.ReasonAuthor}, {User: "maria", Counted: true}}},
		{name: "a change request is reported and blocks",
			approvers: []string{"maria"}, reviewers: "reviewers-changes.json", detailed: "requested_changes",
			approvals: []promotion.Approval{{User: "maria", Counted: true}},
			changes:   []string{"oleg"},
			why:       "a reviewer requested changes"},
		{name: "a required pipeline not started yet is pending and blocks",
			mr: "mr-open-nopipeline.json", detailed: "ci_must_pass",
			checks: promotion.ChecksPending,
			why:    "the project requires a successful pipeline"},
		{name: "a running required pipeline blocks",
			mr: "mr-open.json", detailed: "ci_still_running",
			checks: promotion.ChecksPending,
			why:    "the project requires a successful pipeline, and it is still running"},
		{name: "unmet approval rules block",
			approvers: []string{"maria"}, detailed: "not_approved",
			approvals: []promotion.Approval{{User: "maria", Counted: true}},
			why:       "GitLab's approval rules are not satisfied"},
		{name: "conflicts block",
			detailed: "conflict",
			why:      "the merge request has conflicts"},
		{name: "a status this version does not know blocks, named",
			detailed: "some_future_check",
			why:      "GitLab says the merge request is some_future_check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.state == "" {
				tc.state = "approval-state.json"
			}
			if tc.reviewers == "" {
				tc.reviewers = "reviewers.json"
			}
			if tc.mr == "" {
				tc.mr = "mr-open-passed.json"
			}
			if tc.detailed == "" {
				tc.detailed = "mergeable"
			}
			if tc.checks == "" {
				tc.checks = promotion.ChecksPassed
			}
			var mr map[string]any
			readJSON(t, tc.mr, &mr)
			mr["detailed_merge_status"] = tc.detailed
			mrBody, _ := json.Marshal(mr)
			h := fakehost.New(t)
			h.On("GET", mrs+"/42/approvals").Body(approvalsJSON(t, tc.approvers...))
			if tc.state == "404" {
				h.On("GET", mrs+"/42/approval_state").Status(404).File(t, td("error-not-found.json"))
			} else {
				h.On("GET", mrs+"/42/approval_state").File(t, td(tc.state))
			}
			h.On("GET", mrs+"/42/reviewers").File(t, td(tc.reviewers))
			h.On("GET", mrs+"/42").Body(string(mrBody))

			pr, err := newProvider(t, h).Get(context.Background(), 42)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pr.Approvals, tc.approvals) {
				t.Errorf("Approvals = %+v, want %+v", pr.Approvals, tc.approvals)
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
