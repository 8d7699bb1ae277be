package gitlab

import (
	"context"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/promotion"
)

// statusPages bounds the pages of statuses (100 each) read for one
// commit: with all=true GitLab lists every report, and a deploy tool that
// reports each sync must not make the health gate read without end.
const statusPages = 10

// CommitStatuses returns every commit status on sha (all=true: retried
// ones too, so the health gate can tell since when a status has held), for
// the health gate (promotion.CommitStatuses). A status's name is its
// context: Argo CD notifications and Flux post theirs under that name.
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	opts := &gl.GetCommitStatusesOptions{ListOptions: gl.ListOptions{PerPage: 100}, All: gl.Ptr(true)}
	var out []promotion.Status
	for page := 0; page < statusPages; page++ {
		list, resp, err := p.client.Commits.GetCommitStatuses(p.project, sha, opts, gl.WithContext(ctx))
		if err != nil {
			return nil, fail(err, "listing the statuses of %s", sha)
		}
		for _, s := range list {
			out = append(out, commitStatus(s))
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// commitStatus maps a GitLab commit status onto the health gate's: success
// is green, failed red, canceled an error (it did not finish); created,
// pending, running, manual and skipped are not green yet. It holds since it
// finished, or else since it started or was created.
func commitStatus(s *gl.CommitStatus) promotion.Status {
	out := promotion.Status{Context: s.Name, State: promotion.StatusPending, Description: s.Description, TargetURL: s.TargetURL}
	switch s.Status {
	case "success":
		out.State = promotion.StatusSuccess
	case "failed":
		out.State = promotion.StatusFailure
	case "canceled":
		out.State = promotion.StatusError
	}
	for _, t := range []*time.Time{s.FinishedAt, s.StartedAt, s.CreatedAt} {
		if t != nil && !t.IsZero() {
			out.UpdatedAt = *t
			break
		}
	}
	return out
}

var _ promotion.CommitStatuses = (*Provider)(nil)
