package github

import (
	"context"

	gh "github.com/google/go-github/v88/github"
)

// closedBy returns who closed pull request number last: the actor of its
// latest "closed" issue event (GET /repos/{owner}/{repo}/issues/{n}/events;
// the pull request itself does not say). Empty when GitHub reports none.
func (p *Provider) closedBy(ctx context.Context, number int) (string, error) {
	opts := &gh.ListOptions{PerPage: 100}
	who := ""
	for {
		events, resp, err := p.client.Issues.ListIssueEvents(ctx, p.owner, p.repo, number, opts)
		if err != nil {
			return "", fail(err, "reading who closed pull request #%d", number)
		}
		for _, e := range events {
			if e.GetEvent() == "closed" {
				who = e.GetActor().GetLogin()
			}
		}
		if resp.NextPage == 0 {
			return who, nil
		}
		opts.Page = resp.NextPage
	}
}
