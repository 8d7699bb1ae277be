package promotion

import (
	"context"
	"slices"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
)

// TestApprovalsGate: an open pull request waits for the environment's
// approvals, counted on its current head; one reviewed in Ferry needs at
// least one.
func TestApprovalsGate(t *testing.T) {
	two := config.Environment{Name: "prod", Gates: config.Gates{Approvals: 2}}
	none := config.Environment{Name: "stage"}
	for _, tc := range []struct {
		name      string
		env       config.Environment
		approvers []string
		inFerry   bool
		extra     []Approval // approvals the host does not count
		open      bool
		reason    string
	}{
		{name: "none needed", env: none, open: true},
		{name: "none yet", env: two, reason: "waiting for approvals: 0 of 2"},
		{name: "one of two", env: two, approvers: []string{"alice"}, reason: "waiting for approvals: 1 of 2"},
		{name: "two of two", env: two, approvers: []string{"alice", "bob"}, open: true},
		{name: "uncounted approvals do not count", env: two, approvers: []string{"alice"},
			extra: []Approval{{User: "bob", Reason: "approved an older head"}}, reason: "waiting for approvals: 1 of 2 (bob: approved an older head)"},
		{name: "in Ferry at least one", env: none, inFerry: true,
			reason: "waiting for approvals: 0 of 1 (POST /api/v1/promotions/{id}/approve)"},
		{name: "in Ferry approved", env: none, inFerry: true, approvers: []string{"alice"}, open: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := PR{Number: 7, State: PROpen, Approvers: tc.approvers}
			approvals := append(hostApprovals(pr), tc.extra...)
			in := GateInput{Env: tc.env, PR: &pr, Approvals: approvals, ReviewedInFerry: tc.inFerry}
			d, err := approvalsGate{}.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open || d.Reason != tc.reason || !d.Until.IsZero() {
				t.Errorf("approvals = %+v, want open %v %q", d, tc.open, tc.reason)
			}
			if !slices.Equal(d.Approvals, approvals) {
				t.Errorf("decision's approvals = %+v, want those looked at %+v", d.Approvals, approvals)
			}
		})
	}
}

// TestApprovalsGateFourEyes: an approval the host counts does not count
// when it is the pull request author's, the promotion's requester's or its
// forcer's own, unless the environment allows self-approval.
func TestApprovalsGateFourEyes(t *testing.T) {
	one := config.Gates{Approvals: 1}
	self := config.Gates{Approvals: 1, AllowSelfApproval: true}
	for _, tc := range []struct {
		name      string
		gates     config.Gates
		p         Promotion
		author    string
		approvers []string
		open      bool
		reasons   map[string]string // uncounted approver → reason
	}{
		{name: "another person", gates: one, p: Promotion{RequestedBy: "bob"}, approvers: []string{"alice"}, open: true},
		{name: "the requester", gates: one, p: Promotion{RequestedBy: "bob"}, approvers: []string{"bob"},
			reasons: map[string]string{"bob": ReasonRequester}},
		{name: "the forcer", gates: one, p: Promotion{RequestedBy: "bob", Forced: true}, approvers: []string{"bob"},
			reasons: map[string]string{"bob": ReasonForcer}},
		{name: "the author", gates: one, author: "ferry-bot", approvers: []string{"ferry-bot"},
			reasons: map[string]string{"ferry-bot": ReasonAuthor}},
		{name: "ferry started it: nobody's own", gates: one, p: Promotion{RequestedBy: "ferry"}, approvers: []string{"ferry"}, open: true},
		{name: "requester and another", gates: config.Gates{Approvals: 2}, p: Promotion{RequestedBy: "bob", Forced: true},
			approvers: []string{"alice", "bob", "carol"}, open: true, reasons: map[string]string{"bob": ReasonForcer}},
		{name: "self-approval allowed", gates: self, p: Promotion{RequestedBy: "bob", Forced: true}, author: "bob", approvers: []string{"bob"}, open: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := PR{Number: 7, State: PROpen, Author: tc.author, Approvers: tc.approvers}
			in := GateInput{Promotion: tc.p, Env: config.Environment{Name: "prod", Gates: tc.gates}, PR: &pr, Approvals: hostApprovals(pr)}
			d, err := approvalsGate{}.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open {
				t.Errorf("open = %v (%q), want %v", d.Open, d.Reason, tc.open)
			}
			for _, a := range d.Approvals {
				want, uncounted := tc.reasons[a.User]
				if a.Counted == uncounted || a.Reason != want {
					t.Errorf("%s: counted %v %q, want reason %q", a.User, a.Counted, a.Reason, want)
				}
			}
			if !slices.Equal(in.Approvals, hostApprovals(pr)) {
				t.Errorf("the gate changed its input: %+v", in.Approvals)
			}
		})
	}
}

// teams is a Members of fixed teams.
type teams map[string][]string

func (t teams) IsMember(_ context.Context, team, user string) (bool, error) {
	return slices.Contains(t[team], user), nil
}

// TestApprovalsGateApprovers: when the environment lists approvers, only
// approvals of people named there or in a team named there count; a
// provider without teams says so in the reason.
func TestApprovalsGateApprovers(t *testing.T) {
	gates := config.Gates{Approvals: 2, Approvers: []string{"alice", "team:release-managers"}}
	rm := teams{"release-managers": {"bob"}}
	for _, tc := range []struct {
		name      string
		members   Members
		approvers []string
		open      bool
		reasons   map[string]string
		reason    string
	}{
		{name: "named and team member", members: rm, approvers: []string{"alice", "bob"}, open: true},
		{name: "not in approvers", members: rm, approvers: []string{"alice", "mallory"},
			reasons: map[string]string{"mallory": ReasonNotApprover},
			reason:  "waiting for approvals: 1 of 2 (mallory: not in approvers)"},
		{name: "provider without teams", approvers: []string{"alice", "bob"},
			reasons: map[string]string{"bob": ReasonNotApprover + reasonTeamsUnknown},
			reason:  "waiting for approvals: 1 of 2 (bob: not in approvers; teams cannot be resolved by this provider)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := PR{Number: 7, State: PROpen, Approvers: tc.approvers}
			in := GateInput{Env: config.Environment{Name: "prod", Gates: gates}, PR: &pr, Approvals: hostApprovals(pr), Members: tc.members}
			d, err := approvalsGate{}.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open || d.Reason != tc.reason {
				t.Errorf("decision = open %v %q, want %v %q", d.Open, d.Reason, tc.open, tc.reason)
			}
			for _, a := range d.Approvals {
				want, uncounted := tc.reasons[a.User]
				if a.Counted == uncounted || a.Reason != want {
					t.Errorf("%s: counted %v %q, want reason %q", a.User, a.Counted, a.Reason, want)
				}
			}
		})
	}
}
