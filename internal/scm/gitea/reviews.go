package gitea

import (
	"path"
	"slices"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/promotion"
)

// reviews reports every reviewer's latest deciding review of PR number:
// their approval with whether Gitea counts it on head, or their request
// for changes. Reviews are listed oldest first; a later REQUEST_CHANGES
// replaces an approval, a comment changes nothing.
//
// An approval counts when it is neither dismissed nor stale (made on an
// older head), is not the author's, and Gitea marks it official: Gitea
// records a review as official only when the reviewer may approve (write
// access, or the protected branch's approvers list), and only official
// approvals count towards its own required approvals.
func (p *Provider) reviews(c *sdk.Client, number int, head, author string) ([]promotion.Approval, []string, error) {
	latest := map[string]*sdk.PullReview{}
	opts := sdk.ListPullReviewsOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: pageSize}}
	for {
		reviews, resp, err := c.ListPullReviews(p.owner, p.repo, int64(number), opts)
		if err != nil {
			return nil, nil, fail(resp, err, "listing reviews of pull request #%d", number)
		}
		for _, r := range reviews {
			if r.Reviewer == nil || r.Reviewer.UserName == "" {
				continue
			}
			switch r.State {
			case sdk.ReviewStateApproved, sdk.ReviewStateRequestChanges:
				latest[r.Reviewer.UserName] = r
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	users := make([]string, 0, len(latest))
	for login := range latest {
		users = append(users, login)
	}
	slices.Sort(users)
	var (
		approvals []promotion.Approval
		changes   []string
	)
	for _, login := range users {
		r := latest[login]
		a := promotion.Approval{User: login, At: r.Submitted.UTC()}
		switch {
		case r.State == sdk.ReviewStateRequestChanges:
			// A dismissed change request no longer blocks, as on Gitea's page.
			if !r.Dismissed {
				changes = append(changes, login)
			}
			continue
		case r.Dismissed:
			a.Reason = promotion.ReasonDismissed
		case r.Stale || r.CommitID != "" && r.CommitID != head:
			a.Reason = promotion.ReasonStale
		case login == author:
			a.Reason = promotion.ReasonAuthor
		case !r.Official:
			a.Reason = promotion.ReasonNotOfficial
		}
		a.Counted = a.Reason == ""
		approvals = append(approvals, a)
	}
	return approvals, changes, nil
}

// checks maps the combined commit status of sha. A context the base
// branch requires that nobody has reported yet is pending, never
// "unknown": CI may not have started, and Gitea will not merge without it.
// missing names those contexts (Gitea's required contexts are glob
// patterns; each must match at least one reported context).
func (p *Provider) checks(c *sdk.Client, sha string, required []string) (sum promotion.Checks, missing []string, err error) {
	if sha == "" {
		return promotion.ChecksUnknown, nil, nil
	}
	st, resp, err := c.GetCombinedStatus(p.owner, p.repo, sha)
	if err != nil {
		return "", nil, fail(resp, err, "getting the combined status of %s", sha)
	}
	for _, pattern := range required {
		if !slices.ContainsFunc(st.Statuses, func(s *sdk.Status) bool { return s != nil && contextMatches(pattern, s.Context) }) {
			missing = append(missing, pattern)
		}
	}
	sum = promotion.ChecksUnknown
	if st.TotalCount > 0 {
		switch st.State {
		case sdk.StatusSuccess, sdk.StatusWarning:
			sum = promotion.ChecksPassed
		case sdk.StatusPending:
			sum = promotion.ChecksPending
		case sdk.StatusError, sdk.StatusFailure:
			sum = promotion.ChecksFailed
		}
	}
	if len(missing) > 0 && sum != promotion.ChecksFailed {
		sum = promotion.ChecksPending
	}
	return sum, missing, nil
}

func contextMatches(pattern, context string) bool {
	if pattern == context {
		return true
	}
	ok, err := path.Match(pattern, context)
	return err == nil && ok
}
