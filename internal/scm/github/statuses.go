package github

import (
	"context"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/promotion"
)

// statusPages bounds the pages of statuses and of check runs read for one
// commit (100 each): a commit of an environment repository carries a
// handful, and a runaway reporter must not make the health gate read
// without end.
const statusPages = 10

// CommitStatuses returns what GitHub reports on sha, for the health gate
// (promotion.CommitStatuses): the newest commit status of each context
// (the combined status) and the latest check run of each name, a check
// run read as a status named by its check's name. GitHub keeps both, and
// a deploy tool may use either (Argo CD notifications and Flux post commit
// statuses; a GitHub Actions job that checks the rollout is a check run).
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	var out []promotion.Status
	opts := &gh.ListOptions{PerPage: 100}
	for page := 0; page < statusPages; page++ {
		combined, resp, err := p.client.Repositories.GetCombinedStatus(ctx, p.owner, p.repo, sha, opts)
		if err != nil {
			return nil, fail(err, "getting the combined status of %s", sha)
		}
		for _, s := range combined.Statuses {
			at := s.GetUpdatedAt().Time
			if at.IsZero() {
				at = s.GetCreatedAt().Time
			}
			out = append(out, promotion.Status{Context: s.GetContext(), State: commitStatusState(s.GetState()),
				Description: s.GetDescription(), TargetURL: s.GetTargetURL(), UpdatedAt: at})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	runs := &gh.ListCheckRunsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < statusPages; page++ {
		list, resp, err := p.client.Checks.ListCheckRunsForRef(ctx, p.owner, p.repo, sha, runs)
		if err != nil {
			return nil, fail(err, "listing check runs of %s", sha)
		}
		for _, r := range list.CheckRuns {
			out = append(out, checkRunStatus(r))
		}
		if resp.NextPage == 0 {
			break
		}
		runs.Page = resp.NextPage
	}
	return out, nil
}

// commitStatusState maps GitHub's commit status states (error, failure,
// pending, success) onto the health gate's, which are named alike.
func commitStatusState(s string) string {
	switch s {
	case "success":
		return promotion.StatusSuccess
	case "failure":
		return promotion.StatusFailure
	case "error":
		return promotion.StatusError
	}
	return promotion.StatusPending
}

// checkRunStatus reads a check run as a commit status named by the check:
// success is green; failure, timed_out, action_required and
// startup_failure are red, and so is cancelled (an error: the check did not
// finish); queued or in progress is pending. neutral, skipped and stale
// pass a required check on GitHub, but they say nothing about health: the
// gate keeps waiting on them (and times out).
func checkRunStatus(r *gh.CheckRun) promotion.Status {
	s := promotion.Status{Context: r.GetName(), State: promotion.StatusPending,
		Description: r.GetOutput().GetTitle(), TargetURL: r.GetDetailsURL(), UpdatedAt: r.GetStartedAt().Time}
	if s.TargetURL == "" {
		s.TargetURL = r.GetHTMLURL()
	}
	if r.GetStatus() != "completed" {
		return s
	}
	s.UpdatedAt = r.GetCompletedAt().Time
	switch r.GetConclusion() {
	case "success":
		s.State = promotion.StatusSuccess
	case "failure", "timed_out", "action_required", "startup_failure":
		s.State = promotion.StatusFailure
	case "cancelled":
		s.State = promotion.StatusError
	}
	if s.Description == "" {
		s.Description = "check run " + r.GetConclusion()
	}
	return s
}

var _ promotion.CommitStatuses = (*Provider)(nil)
