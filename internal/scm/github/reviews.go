package github

import (
	"context"
	"slices"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/promotion"
)

// reviews reports every reviewer's latest deciding review of PR number:
// their approval with whether GitHub counts it on head, or their request
// for changes. Reviews are listed oldest first; a later CHANGES_REQUESTED
// replaces an approval, a dismissed review is listed as DISMISSED, and a
// plain comment changes nothing, as on GitHub's own page.
//
// An approval counts when it is on head, was not dismissed, is not the
// author's (GitHub refuses those, but an old one may survive a change of
// author), and the reviewer has write, maintain or admin permission on the
// repository: GitHub accepts reviews from anyone who can read it, and only
// those of writers satisfy branch protection.
func (p *Provider) reviews(ctx context.Context, number int, head, author string) ([]promotion.Approval, []string, error) {
	latest := map[string]*gh.PullRequestReview{}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		reviews, resp, err := p.client.PullRequests.ListReviews(ctx, p.owner, p.repo, number, opts)
		if err != nil {
			return nil, nil, fail(err, "listing reviews of pull request #%d", number)
		}
		for _, r := range reviews {
			switch r.GetState() {
			case "APPROVED", "CHANGES_REQUESTED", "DISMISSED":
				if login := r.GetUser().GetLogin(); login != "" {
					latest[login] = r
				}
			}
		}
		if resp.NextPage == 0 {
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
		a := promotion.Approval{User: login, At: r.GetSubmittedAt().UTC()}
		switch {
		case r.GetState() == "CHANGES_REQUESTED":
			changes = append(changes, login)
			continue
		case r.GetState() == "DISMISSED":
			a.Reason = promotion.ReasonDismissed
		case r.GetCommitID() != head:
			a.Reason = promotion.ReasonStale
		case login == author:
			a.Reason = promotion.ReasonAuthor
		default:
			canWrite, err := p.perms.canWrite(ctx, p, login)
			if err != nil {
				return nil, nil, err
			}
			if !canWrite {
				a.Reason = promotion.ReasonNoWrite
			}
		}
		a.Counted = a.Reason == ""
		approvals = append(approvals, a)
	}
	return approvals, changes, nil
}
