package github

import (
	"context"
	"slices"

	gh "github.com/google/go-github/v88/github"
)

// approvers returns the distinct reviewers whose latest deciding review is
// an approval of head. Reviews are listed oldest first; a later
// CHANGES_REQUESTED cancels an approval, a dismissed approval is listed as
// DISMISSED, and a plain comment changes nothing, as on GitHub's own page.
func (p *Provider) approvers(ctx context.Context, number int, head string) ([]string, error) {
	latest := map[string]*gh.PullRequestReview{}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		reviews, resp, err := p.client.PullRequests.ListReviews(ctx, p.owner, p.repo, number, opts)
		if err != nil {
			return nil, fail(err, "listing reviews of pull request #%d", number)
		}
		for _, r := range reviews {
			switch r.GetState() {
			case "APPROVED", "CHANGES_REQUESTED", "DISMISSED":
				latest[r.GetUser().GetLogin()] = r
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var out []string
	for login, r := range latest {
		if login != "" && r.GetState() == "APPROVED" && r.GetCommitID() == head {
			out = append(out, login)
		}
	}
	slices.Sort(out)
	return out, nil
}
