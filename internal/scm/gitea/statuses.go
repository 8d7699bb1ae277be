package gitea

import (
	"context"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/promotion"
)

// statusPages bounds the statuses read for one commit: Gitea keeps every
// report, and a deploy tool that reports each sync would otherwise make the
// health gate read without end. 10 pages of 50 is ample for the newest of
// each context.
const statusPages = 10

// CommitStatuses returns every status reported on sha, newest first, for
// the health gate (promotion.CommitStatuses). Gitea's "warning" passes, as
// it does for Gitea's own combined status.
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	var out []promotion.Status
	for page := 1; page <= statusPages; page++ {
		list, resp, err := c.ListStatuses(p.owner, p.repo, sha, sdk.ListStatusesOption{ListOptions: sdk.ListOptions{Page: page, PageSize: 50}})
		if err != nil {
			return nil, fail(resp, err, "listing the statuses of %s", sha)
		}
		for _, s := range list {
			if s == nil {
				continue
			}
			out = append(out, promotion.Status{Context: s.Context, State: statusState(s.State),
				Description: s.Description, TargetURL: s.TargetURL, UpdatedAt: s.Updated})
		}
		if len(list) < 50 {
			break
		}
	}
	return out, nil
}

func statusState(s sdk.StatusState) string {
	switch s {
	case sdk.StatusSuccess, sdk.StatusWarning:
		return promotion.StatusSuccess
	case sdk.StatusFailure:
		return promotion.StatusFailure
	case sdk.StatusError:
		return promotion.StatusError
	}
	return promotion.StatusPending
}

var _ promotion.CommitStatuses = (*Provider)(nil)
