package gitlab

import (
	"context"
	"errors"
	"slices"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// approvals reports everyone who approved merge request number, each with
// whether GitLab counts the approval: it is not the author's, and the
// approver is eligible under the merge request's approval rules (listed in
// a rule's eligible approvers, or any member when a rule is "any_approver"
// or there are no rules). GitLab lets only members allowed to approve press
// Approve, and a push removes approvals when the project resets them on
// push, which is why the README asks for that setting: GitLab does not say
// on which commit an approval was given.
func (p *Provider) approvals(ctx context.Context, number int, author string) ([]promotion.Approval, error) {
	given, _, err := p.client.MergeRequestApprovals.GetConfiguration(p.project, int64(number), gl.WithContext(ctx))
	if err != nil {
		return nil, fail(err, "getting the approvals of merge request !%d", number)
	}
	eligible, anyone, err := p.eligible(ctx, number)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, a := range given.ApprovedBy {
		if a != nil && a.User != nil && a.User.Username != "" && !slices.Contains(users, a.User.Username) {
			users = append(users, a.User.Username)
		}
	}
	slices.Sort(users)
	var out []promotion.Approval
	for _, u := range users {
		a := promotion.Approval{User: u}
		switch {
		case u == author:
			a.Reason = promotion.ReasonAuthor
		case !anyone && !eligible[u]:
			a.Reason = promotion.ReasonNotEligible
		}
		a.Counted = a.Reason == ""
		out = append(out, a)
	}
	return out, nil
}

// eligible reads the merge request's approval rules: the users any rule
// lists as eligible approvers, or anyone when a rule accepts any approver or
// there are no rules. Approval rules are a paid feature: GitLab Community
// Edition has no such route (404), and then GitLab's own permission check
// on Approve is the only rule.
func (p *Provider) eligible(ctx context.Context, number int) (map[string]bool, bool, error) {
	state, _, err := p.client.MergeRequestApprovals.GetApprovalState(p.project, int64(number), gl.WithContext(ctx))
	if err != nil {
		err = fail(err, "getting the approval rules of merge request !%d", number)
		if errors.Is(err, derrors.ErrNotFound) {
			return nil, true, nil
		}
		return nil, false, err
	}
	out := map[string]bool{}
	anyone := len(state.Rules) == 0
	for _, r := range state.Rules {
		if r == nil {
			continue
		}
		if r.RuleType == "any_approver" {
			anyone = true
		}
		for _, u := range r.EligibleApprovers {
			if u != nil {
				out[u.Username] = true
			}
		}
	}
	return out, anyone, nil
}

// changesRequested returns the reviewers whose review requests changes
// (GitLab 17.2 and later); such a review blocks the merge until they
// approve or the request is removed.
func (p *Provider) changesRequested(ctx context.Context, number int) ([]string, error) {
	reviewers, _, err := p.client.MergeRequests.GetMergeRequestReviewers(p.project, int64(number), gl.WithContext(ctx))
	if err != nil {
		return nil, fail(err, "listing the reviewers of merge request !%d", number)
	}
	var out []string
	for _, r := range reviewers {
		if r != nil && r.User != nil && r.State == "requested_changes" {
			out = append(out, r.User.Username)
		}
	}
	slices.Sort(out)
	return out, nil
}
