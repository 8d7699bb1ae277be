package gitlab

import (
	"context"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Ensure opens a merge request from spec.Head into spec.Base, or updates the
// open one for spec.Head when its title, description or target differ.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	existing, err := p.openFor(ctx, spec.Head)
	if err != nil {
		return promotion.PR{}, err
	}
	if existing == nil {
		mr, _, err := p.client.MergeRequests.CreateMergeRequest(p.project, &gl.CreateMergeRequestOptions{
			Title:        gl.Ptr(spec.Title),
			Description:  gl.Ptr(spec.Body),
			SourceBranch: gl.Ptr(spec.Head),
			TargetBranch: gl.Ptr(spec.Base),
		}, gl.WithContext(ctx))
		if err != nil {
			return promotion.PR{}, fail(err, "opening a merge request from %s into %s", spec.Head, spec.Base)
		}
		return toPR(&mr.BasicMergeRequest), nil
	}
	if existing.Title == spec.Title && existing.Description == spec.Body && existing.TargetBranch == spec.Base {
		return toPR(existing), nil
	}
	edit := &gl.UpdateMergeRequestOptions{Title: gl.Ptr(spec.Title), Description: gl.Ptr(spec.Body)}
	if existing.TargetBranch != spec.Base {
		edit.TargetBranch = gl.Ptr(spec.Base)
	}
	mr, _, err := p.client.MergeRequests.UpdateMergeRequest(p.project, existing.IID, edit, gl.WithContext(ctx))
	if err != nil {
		return promotion.PR{}, fail(err, "updating merge request !%d", existing.IID)
	}
	return toPR(&mr.BasicMergeRequest), nil
}

// openFor returns the opened merge request from branch, or nil.
func (p *Provider) openFor(ctx context.Context, branch string) (*gl.BasicMergeRequest, error) {
	opts := &gl.ListProjectMergeRequestsOptions{
		ListOptions:  gl.ListOptions{PerPage: 100},
		State:        gl.Ptr("opened"),
		SourceBranch: gl.Ptr(branch),
	}
	for {
		mrs, resp, err := p.client.MergeRequests.ListProjectMergeRequests(p.project, opts, gl.WithContext(ctx))
		if err != nil {
			return nil, fail(err, "listing opened merge requests from %s", branch)
		}
		for _, mr := range mrs {
			if mr.SourceBranch == branch {
				return mr, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// Get returns the merge request with its approvals and head pipeline.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	return p.get(ctx, number)
}

func (p *Provider) get(ctx context.Context, number int) (promotion.PR, error) {
	mr, _, err := p.client.MergeRequests.GetMergeRequest(p.project, int64(number), nil, gl.WithContext(ctx))
	if err != nil {
		return promotion.PR{}, fail(err, "getting merge request !%d", number)
	}
	out := toPR(&mr.BasicMergeRequest)
	out.Checks = pipelineChecks(mr.HeadPipeline)
	if out.Checks == promotion.ChecksUnknown && requiresPipeline(mr.DetailedMergeStatus) {
		// The project requires a pipeline that has not started yet.
		out.Checks = promotion.ChecksPending
	}
	if out.Approvals, err = p.approvals(ctx, number, out.Author); err != nil {
		return promotion.PR{}, err
	}
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	if out.State == promotion.PROpen {
		// Only an open merge request can still merge or be blocked.
		if out.ChangesRequested, err = p.changesRequested(ctx, number); err != nil {
			return promotion.PR{}, err
		}
	}
	out.Mergeable, out.NotMergeable = mergeability(out.State, mr.DetailedMergeStatus)
	return out, nil
}

// Merge accepts the merge request if its head is still sha. The merge
// method (merge commit, fast-forward, squash) is the project's setting;
// GitLab's API does not take one per request.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	_, _, err := p.client.MergeRequests.AcceptMergeRequest(p.project, int64(number), &gl.AcceptMergeRequestOptions{
		SHA: gl.Ptr(sha),
	}, gl.WithContext(ctx))
	if err != nil {
		err = fail(err, "merging merge request !%d at %s", number, sha)
		if d, ok := derrors.As(err); ok && d.Code == "scm_conflict" {
			// GitLab's 409 "SHA does not match HEAD of source branch".
			return promotion.PR{}, derrors.Wrap(err, derrors.Conflict, "head_moved",
				"merge request !%d's head is no longer %s", number, sha)
		}
		return promotion.PR{}, err
	}
	return p.get(ctx, number)
}

// Close comments on the merge request, then closes it unmerged.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	if comment != "" {
		if _, _, err := p.client.Notes.CreateMergeRequestNote(p.project, int64(number), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(comment)}, gl.WithContext(ctx)); err != nil {
			return fail(err, "commenting on merge request !%d", number)
		}
	}
	if _, _, err := p.client.MergeRequests.UpdateMergeRequest(p.project, int64(number), &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx)); err != nil {
		return fail(err, "closing merge request !%d", number)
	}
	return nil
}

func toPR(mr *gl.BasicMergeRequest) promotion.PR {
	out := promotion.PR{
		Number:  int(mr.IID),
		URL:     mr.WebURL,
		State:   promotion.PROpen,
		Head:    mr.SourceBranch,
		HeadSHA: mr.SHA,
		Base:    mr.TargetBranch,
	}
	if mr.Author != nil {
		out.Author = mr.Author.Username
	}
	if mr.UpdatedAt != nil {
		out.UpdatedAt = *mr.UpdatedAt
	}
	switch mr.State {
	case "merged":
		out.State = promotion.PRMerged
		// A fast-forward merge has neither merge nor squash commit: the
		// head itself landed.
		out.MergeSHA = cmpOr(mr.MergeCommitSHA, mr.SquashCommitSHA, mr.SHA)
		// merge_user replaces the deprecated merged_by (GitLab 14.7+).
		if mr.MergeUser != nil {
			out.MergedBy = mr.MergeUser.Username
		}
	case "closed":
		out.State = promotion.PRClosed
		if mr.ClosedBy != nil {
			out.ClosedBy = mr.ClosedBy.Username
		}
	}
	return out
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// pipelineChecks maps the head pipeline's status.
func pipelineChecks(pl *gl.Pipeline) promotion.Checks {
	if pl == nil {
		return promotion.ChecksUnknown
	}
	switch pl.Status {
	case "success":
		return promotion.ChecksPassed
	case "failed", "canceled", "canceling":
		return promotion.ChecksFailed
	case "created", "waiting_for_resource", "preparing", "waiting_for_callback", "pending", "running", "scheduled", "manual":
		return promotion.ChecksPending
	}
	return promotion.ChecksUnknown // skipped, or a status this version does not know
}

var _ promotion.PullRequests = (*Provider)(nil)
