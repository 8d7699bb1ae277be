package promotion

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryhq/ferry/internal/config"
)

// approvalsGate holds an open pull request until enough distinct people
// approved its current head: the environment's approvals, and at least one
// for a pull request reviewed in Ferry (which Ferry merges once approved).
// It is the one owner of which approvals count: the host's verdict, then
// four eyes (countApprovals).
type approvalsGate struct{}

func (approvalsGate) Name() string { return "approvals" }

func (approvalsGate) Evaluate(ctx context.Context, in GateInput) (Decision, error) {
	need := neededApprovals(in.Env, in.ReviewedInFerry)
	approvals, err := countApprovals(ctx, in)
	if err != nil {
		return Decision{}, err
	}
	counted := len(CountedApprovers(approvals))
	d := Decision{Open: counted >= need, Approvals: approvals}
	if !d.Open {
		d.Reason = fmt.Sprintf("waiting for approvals: %d of %d", counted, need)
		if un := uncounted(approvals); un != "" {
			d.Reason += " (" + un + ")"
		}
		if in.ReviewedInFerry {
			d.Reason += " (POST /api/v1/promotions/{id}/approve)"
		}
	}
	return d, nil
}

// neededApprovals is how many counted approvals env needs before a pull
// request may merge: the environment's approvals, and at least one for a
// pull request reviewed in Ferry.
func neededApprovals(env config.Environment, inFerry bool) int {
	if inFerry {
		return max(env.Gates.Approvals, 1)
	}
	return env.Gates.Approvals
}

// Reasons of the four-eyes rule and of the approvers list.
const (
	ReasonRequester    = "requested the promotion"
	ReasonForcer       = "forced the promotion"
	ReasonNotApprover  = "not in approvers"
	reasonTeamsUnknown = "; teams cannot be resolved by this provider"
)

// Members is the optional extra of a provider that can say who belongs to
// a team or group on its Git host (a GitHub team of the repository's
// organisation, a GitLab group, a Gitea team), for the "team:" entries of
// an environment's approvers. A provider without it (the built-in one)
// counts only approvers listed by name.
type Members interface {
	// IsMember reports whether user is an active member of team.
	IsMember(ctx context.Context, team, user string) (bool, error)
}

// countApprovals returns in.Approvals with the four-eyes rule and the
// environment's approvers applied on top of the host's verdict: unless the
// environment allows self-approval, an approval by the pull request's
// author, the promotion's requester or whoever forced it does not count
// ("ferry", a promotion started because the previous environment
// completed, is nobody's own); when the environment lists approvers, only
// theirs count.
func countApprovals(ctx context.Context, in GateInput) ([]Approval, error) {
	out := make([]Approval, len(in.Approvals))
	copy(out, in.Approvals)
	if !in.Env.Gates.AllowSelfApproval {
		fourEyes(in, out)
	}
	if err := onlyApprovers(ctx, in.Env.Gates.Approvers, in.Members, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fourEyes uncounts the approvals of the pull request's author and of the
// promotion's requester or forcer.
func fourEyes(in GateInput, out []Approval) {
	author := ""
	if in.PR != nil {
		author = in.PR.Author
	}
	p := in.Promotion
	for i := range out {
		a := &out[i]
		if !a.Counted {
			continue
		}
		switch {
		case author != "" && a.User == author:
			a.Reason = ReasonAuthor
		case p.RequestedBy != "" && p.RequestedBy != "ferry" && a.User == p.RequestedBy && p.Forced:
			a.Reason = ReasonForcer
		case p.RequestedBy != "" && p.RequestedBy != "ferry" && a.User == p.RequestedBy:
			a.Reason = ReasonRequester
		default:
			continue
		}
		a.Counted = false
	}
}

// onlyApprovers uncounts the approvals of people not in approvers (when it
// lists anyone): neither named there nor a member of a team named there.
func onlyApprovers(ctx context.Context, approvers []string, members Members, out []Approval) error {
	if len(approvers) == 0 {
		return nil
	}
	for i := range out {
		a := &out[i]
		if !a.Counted {
			continue
		}
		in, unresolved, err := isApprover(ctx, approvers, members, a.User)
		if err != nil {
			return err
		}
		if !in {
			a.Counted, a.Reason = false, ReasonNotApprover
			if unresolved {
				a.Reason += reasonTeamsUnknown
			}
		}
	}
	return nil
}

// isApprover reports whether user is named in approvers or belongs to one
// of its teams; unresolved is true when approvers names teams that members
// (nil: the provider has none) cannot resolve.
func isApprover(ctx context.Context, approvers []string, members Members, user string) (in, unresolved bool, err error) {
	for _, entry := range approvers {
		team, isTeam := config.ApproverTeam(entry)
		switch {
		case !isTeam:
			if entry == user {
				return true, false, nil
			}
		case members == nil:
			unresolved = true
		default:
			ok, err := members.IsMember(ctx, team, user)
			if err != nil {
				return false, false, fmt.Errorf("reading whether %s is in team %s: %w", user, team, err)
			}
			if ok {
				return true, false, nil
			}
		}
	}
	return false, unresolved, nil
}

// uncounted lists the approvals that did not count with why, e.g.
// "mallory: no write access; bob: requested the promotion".
func uncounted(approvals []Approval) string {
	var parts []string
	for _, a := range approvals {
		if !a.Counted {
			parts = append(parts, a.User+": "+a.Reason)
		}
	}
	return strings.Join(parts, "; ")
}

// hostApprovals are a pull request's approvals as its host reports them;
// a host that reports only approvers counts each of them.
func hostApprovals(pr PR) []Approval {
	if len(pr.Approvals) > 0 {
		return pr.Approvals
	}
	out := make([]Approval, 0, len(pr.Approvers))
	for _, u := range pr.Approvers {
		out = append(out, Approval{User: u, Counted: true})
	}
	return out
}

// ApprovalsSummary says which approvals count and why the others do not,
// e.g. "approvals: alice counted; carol not counted: not in approvers";
// the history of a promotion records it when the counted set changes.
func ApprovalsSummary(approvals []Approval) string {
	if len(approvals) == 0 {
		return "approvals: none"
	}
	parts := make([]string, 0, len(approvals))
	for _, a := range approvals {
		if a.Counted {
			parts = append(parts, a.User+" counted")
		} else {
			parts = append(parts, a.User+" not counted: "+a.Reason)
		}
	}
	return "approvals: " + strings.Join(parts, "; ")
}
