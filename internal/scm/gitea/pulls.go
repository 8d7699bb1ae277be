package gitea

import (
	"context"
	"errors"
	"fmt"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// pageSize is Gitea's default maximum page size (MAX_RESPONSE_ITEMS).
const pageSize = 50

// Ensure opens a PR from spec.Head into spec.Base, or updates the open one
// for spec.Head when its title, body or base differ.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return promotion.PR{}, err
	}
	existing, err := p.openFor(c, spec.Head)
	if err != nil {
		return promotion.PR{}, err
	}
	if existing == nil {
		pr, resp, err := c.CreatePullRequest(p.owner, p.repo, sdk.CreatePullRequestOption{
			Head: spec.Head, Base: spec.Base, Title: spec.Title, Body: spec.Body,
		})
		if err != nil {
			return promotion.PR{}, fail(resp, err, "opening a pull request from %s into %s", spec.Head, spec.Base)
		}
		return toPR(pr), nil
	}
	if existing.Title == spec.Title && existing.Body == spec.Body && existing.Base != nil && existing.Base.Ref == spec.Base {
		return toPR(existing), nil
	}
	edit := sdk.EditPullRequestOption{Title: spec.Title, Body: &spec.Body}
	if existing.Base == nil || existing.Base.Ref != spec.Base {
		edit.Base = spec.Base
	}
	pr, resp, err := c.EditPullRequest(p.owner, p.repo, existing.Index, edit)
	if err != nil {
		return promotion.PR{}, fail(resp, err, "updating pull request #%d", existing.Index)
	}
	return toPR(pr), nil
}

// openFor returns the open PR whose head is branch of this repository, or nil.
// Gitea's list has no head filter, so every page of open PRs is read.
func (p *Provider) openFor(c *sdk.Client, branch string) (*sdk.PullRequest, error) {
	opts := sdk.ListPullRequestsOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: pageSize}, State: sdk.StateOpen}
	for {
		prs, resp, err := c.ListRepoPullRequests(p.owner, p.repo, opts)
		if err != nil {
			return nil, fail(resp, err, "listing open pull requests")
		}
		for _, pr := range prs {
			if pr.Head != nil && pr.Head.Ref == branch && (pr.Base == nil || pr.Head.RepoID == pr.Base.RepoID) {
				return pr, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// Get returns the PR with its approvals and combined commit status.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return promotion.PR{}, err
	}
	return p.get(c, number)
}

func (p *Provider) get(c *sdk.Client, number int) (promotion.PR, error) {
	pr, resp, err := c.GetPullRequest(p.owner, p.repo, int64(number))
	if err != nil {
		return promotion.PR{}, fail(resp, err, "getting pull request #%d", number)
	}
	out := toPR(pr)
	if out.Approvals, out.ChangesRequested, err = p.reviews(c, number, out.HeadSHA, out.Author); err != nil {
		return promotion.PR{}, err
	}
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	if out.State == promotion.PRClosed {
		if out.ClosedBy, err = p.closer(c, number); err != nil {
			return promotion.PR{}, err
		}
	}
	var base *sdk.Branch
	if out.State == promotion.PROpen && out.Base != "" {
		// Only an open PR can still merge; a closed one needs no protection read.
		if base, resp, err = c.GetRepoBranch(p.owner, p.repo, out.Base); err != nil {
			return promotion.PR{}, fail(resp, err, "reading the protection of branch %s", out.Base)
		}
	}
	var required, missing []string
	if base != nil && base.Protected && base.EnableStatusCheck {
		required = base.StatusCheckContexts
	}
	if out.Checks, missing, err = p.checks(c, out.HeadSHA, required); err != nil {
		return promotion.PR{}, err
	}
	out.Mergeable, out.NotMergeable = mergeability(pr, base, out, missing)
	return out, nil
}

// closer returns who last closed PR number: Gitea's pull request has no
// closed_by, its issue timeline has a "close" event with the user.
func (p *Provider) closer(c *sdk.Client, number int) (string, error) {
	opts := sdk.ListIssueCommentOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: pageSize}}
	who := ""
	for {
		events, resp, err := c.ListIssueTimeline(p.owner, p.repo, int64(number), opts)
		if err != nil {
			return "", fail(resp, err, "reading the timeline of pull request #%d", number)
		}
		for _, ev := range events {
			if ev != nil && ev.Type == "close" && ev.Poster != nil {
				who = ev.Poster.UserName
			}
		}
		if resp == nil || resp.NextPage == 0 || len(events) == 0 {
			return who, nil
		}
		opts.Page = resp.NextPage
	}
}

// Merge merges the PR with a merge commit if its head is still sha.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return promotion.PR{}, err
	}
	merged, resp, err := c.MergePullRequest(p.owner, p.repo, int64(number), sdk.MergePullRequestOption{
		Style:        sdk.MergeStyleMerge,
		HeadCommitId: sha,
	})
	if err == nil && !merged {
		// The SDK reports a refusal as false with the host's status and
		// drops its message; the status is what is left to say.
		err = errors.New("the merge was refused by Gitea")
		if resp != nil && resp.Response != nil {
			err = fmt.Errorf("the merge was refused by Gitea (HTTP %d)", resp.StatusCode)
		}
	}
	if err != nil {
		err = fail(resp, err, "merging pull request #%d at %s", number, sha)
		if d, ok := derrors.As(err); ok && d.Code == "scm_conflict" {
			return promotion.PR{}, derrors.Wrap(err, derrors.Conflict, "head_moved",
				"pull request #%d's head is no longer %s", number, sha)
		}
		return promotion.PR{}, err
	}
	return p.get(c, number)
}

// Close comments on the PR, then closes it unmerged.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return err
	}
	if comment != "" {
		if _, resp, err := c.CreateIssueComment(p.owner, p.repo, int64(number), sdk.CreateIssueCommentOption{Body: comment}); err != nil {
			return fail(resp, err, "commenting on pull request #%d", number)
		}
	}
	closed := sdk.StateClosed
	if _, resp, err := c.EditPullRequest(p.owner, p.repo, int64(number), sdk.EditPullRequestOption{State: &closed}); err != nil {
		return fail(resp, err, "closing pull request #%d", number)
	}
	return nil
}

// Describe sets an open pull request's title and description.
func (p *Provider) Describe(ctx context.Context, number int, title, body string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return err
	}
	if _, resp, err := c.EditPullRequest(p.owner, p.repo, int64(number), sdk.EditPullRequestOption{Title: title, Body: &body}); err != nil {
		return fail(resp, err, "describing pull request #%d", number)
	}
	return nil
}

var _ promotion.Describer = (*Provider)(nil)

func toPR(pr *sdk.PullRequest) promotion.PR {
	out := promotion.PR{Number: int(pr.Index), URL: pr.HTMLURL, State: promotion.PROpen}
	if pr.Head != nil {
		out.Head, out.HeadSHA = pr.Head.Ref, pr.Head.Sha
	}
	if pr.Base != nil {
		out.Base = pr.Base.Ref
	}
	if pr.Updated != nil {
		out.UpdatedAt = *pr.Updated
	}
	if pr.Poster != nil {
		out.Author = pr.Poster.UserName
	}
	switch {
	case pr.HasMerged:
		out.State = promotion.PRMerged
		if pr.MergedCommitID != nil {
			out.MergeSHA = *pr.MergedCommitID
		}
		if pr.MergedBy != nil {
			out.MergedBy = pr.MergedBy.UserName
		}
	case pr.State == sdk.StateClosed:
		out.State = promotion.PRClosed
	}
	return out
}

var _ promotion.PullRequests = (*Provider)(nil)
