package github

import (
	"context"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Ensure opens a PR from spec.Head into spec.Base, or updates the open one
// for spec.Head when its title, body or base differ.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	existing, err := p.openFor(ctx, spec.Head)
	if err != nil {
		return promotion.PR{}, err
	}
	if existing == nil {
		pr, _, err := p.client.PullRequests.Create(ctx, p.owner, p.repo, &gh.NewPullRequest{
			Title: gh.Ptr(spec.Title),
			Head:  gh.Ptr(spec.Head),
			Base:  gh.Ptr(spec.Base),
			Body:  gh.Ptr(spec.Body),
		})
		if err != nil {
			return promotion.PR{}, fail(err, "opening a pull request from %s into %s", spec.Head, spec.Base)
		}
		return toPR(pr), nil
	}
	if existing.GetTitle() == spec.Title && existing.GetBody() == spec.Body && existing.GetBase().GetRef() == spec.Base {
		return toPR(existing), nil
	}
	edit := &gh.PullRequest{Title: gh.Ptr(spec.Title), Body: gh.Ptr(spec.Body)}
	if existing.GetBase().GetRef() != spec.Base {
		edit.Base = &gh.PullRequestBranch{Ref: gh.Ptr(spec.Base)}
	}
	pr, _, err := p.client.PullRequests.Edit(ctx, p.owner, p.repo, existing.GetNumber(), edit)
	if err != nil {
		return promotion.PR{}, fail(err, "updating pull request #%d", existing.GetNumber())
	}
	return toPR(pr), nil
}

// Describe sets an open pull request's title and description.
func (p *Provider) Describe(ctx context.Context, number int, title, body string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	if _, _, err := p.client.PullRequests.Edit(ctx, p.owner, p.repo, number, &gh.PullRequest{Title: gh.Ptr(title), Body: gh.Ptr(body)}); err != nil {
		return fail(err, "describing pull request #%d", number)
	}
	return nil
}

var _ promotion.Describer = (*Provider)(nil)

// openFor returns the open PR whose head is branch in this repository, or nil.
func (p *Provider) openFor(ctx context.Context, branch string) (*gh.PullRequest, error) {
	opts := &gh.PullRequestListOptions{
		State:       "open",
		Head:        p.owner + ":" + branch,
		ListOptions: gh.ListOptions{PerPage: 100},
	}
	for {
		prs, resp, err := p.client.PullRequests.List(ctx, p.owner, p.repo, opts)
		if err != nil {
			return nil, fail(err, "listing open pull requests for %s", branch)
		}
		for _, pr := range prs {
			if pr.GetHead().GetRef() == branch {
				return pr, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// Get returns the PR with its approvals on the current head and its checks.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	return p.get(ctx, number)
}

func (p *Provider) get(ctx context.Context, number int) (promotion.PR, error) {
	pr, _, err := p.client.PullRequests.Get(ctx, p.owner, p.repo, number)
	if err != nil {
		return promotion.PR{}, fail(err, "getting pull request #%d", number)
	}
	out := toPR(pr)
	if out.State == promotion.PRClosed {
		if out.ClosedBy, err = p.closedBy(ctx, number); err != nil {
			return promotion.PR{}, err
		}
	}
	if out.Approvals, out.ChangesRequested, err = p.reviews(ctx, number, out.HeadSHA, out.Author); err != nil {
		return promotion.PR{}, err
	}
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	var required, missing []string
	if out.State == promotion.PROpen {
		// Only an open PR can still merge; a closed one needs no protection read.
		if required, err = p.requiredChecks(ctx, out.Base); err != nil {
			return promotion.PR{}, err
		}
	}
	if out.Checks, missing, err = p.checks(ctx, out.HeadSHA, required); err != nil {
		return promotion.PR{}, err
	}
	out.Mergeable, out.NotMergeable = mergeability(pr, missing)
	return out, nil
}

// Merge merges the PR with a merge commit if its head is still sha.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	res, _, err := p.client.PullRequests.Merge(ctx, p.owner, p.repo, number, "", &gh.PullRequestOptions{
		SHA:         sha,
		MergeMethod: "merge",
	})
	if err != nil {
		err = fail(err, "merging pull request #%d at %s", number, sha)
		if d, ok := derrors.As(err); ok && d.Code == "scm_conflict" {
			// GitHub's 409 "Head branch was modified. Review and try the merge again."
			return promotion.PR{}, derrors.Wrap(err, derrors.Conflict, "head_moved",
				"pull request #%d's head is no longer %s", number, sha)
		}
		return promotion.PR{}, err
	}
	if !res.GetMerged() {
		return promotion.PR{}, derrors.New(derrors.Conflict, "pr_not_mergeable",
			"GitHub did not merge pull request #%d: %s", number, res.GetMessage())
	}
	return p.get(ctx, number)
}

// Close comments on the PR, then closes it unmerged.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	if comment != "" {
		if _, _, err := p.client.Issues.CreateComment(ctx, p.owner, p.repo, number, &gh.IssueComment{Body: gh.Ptr(comment)}); err != nil {
			return fail(err, "commenting on pull request #%d", number)
		}
	}
	if _, _, err := p.client.PullRequests.Edit(ctx, p.owner, p.repo, number, &gh.PullRequest{State: gh.Ptr("closed")}); err != nil {
		return fail(err, "closing pull request #%d", number)
	}
	return nil
}

func toPR(pr *gh.PullRequest) promotion.PR {
	out := promotion.PR{
		Number:    pr.GetNumber(),
		URL:       pr.GetHTMLURL(),
		State:     promotion.PROpen,
		Head:      pr.GetHead().GetRef(),
		HeadSHA:   pr.GetHead().GetSHA(),
		Base:      pr.GetBase().GetRef(),
		Author:    pr.GetUser().GetLogin(),
		UpdatedAt: pr.GetUpdatedAt().Time,
	}
	switch {
	case pr.GetMerged() || pr.MergedAt != nil:
		out.State = promotion.PRMerged
		out.MergeSHA = pr.GetMergeCommitSHA()
		out.MergedBy = pr.GetMergedBy().GetLogin()
	case pr.GetState() == "closed":
		out.State = promotion.PRClosed
	}
	return out
}

var _ promotion.PullRequests = (*Provider)(nil)
