package gitea

import (
	"slices"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/promotion"
)

// approvers returns the distinct reviewers whose latest deciding review is
// an approval that is neither stale (made on an older head) nor dismissed.
// Reviews are listed oldest first; a later REQUEST_CHANGES cancels an
// approval, a comment changes nothing.
func (p *Provider) approvers(c *sdk.Client, number int, head string) ([]string, error) {
	latest := map[string]*sdk.PullReview{}
	opts := sdk.ListPullReviewsOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: pageSize}}
	for {
		reviews, resp, err := c.ListPullReviews(p.owner, p.repo, int64(number), opts)
		if err != nil {
			return nil, fail(resp, err, "listing reviews of pull request #%d", number)
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
	var out []string
	for login, r := range latest {
		if r.State == sdk.ReviewStateApproved && !r.Stale && !r.Dismissed && (r.CommitID == "" || r.CommitID == head) {
			out = append(out, login)
		}
	}
	slices.Sort(out)
	return out, nil
}

// checks maps the combined commit status of sha.
func (p *Provider) checks(c *sdk.Client, sha string) (promotion.Checks, error) {
	if sha == "" {
		return promotion.ChecksUnknown, nil
	}
	st, resp, err := c.GetCombinedStatus(p.owner, p.repo, sha)
	if err != nil {
		return "", fail(resp, err, "getting the combined status of %s", sha)
	}
	if st.TotalCount == 0 {
		return promotion.ChecksUnknown, nil
	}
	switch st.State {
	case sdk.StatusSuccess, sdk.StatusWarning:
		return promotion.ChecksPassed, nil
	case sdk.StatusPending:
		return promotion.ChecksPending, nil
	case sdk.StatusError, sdk.StatusFailure:
		return promotion.ChecksFailed, nil
	}
	return promotion.ChecksUnknown, nil
}
