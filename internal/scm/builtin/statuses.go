package builtin

import (
	"context"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CommitStatuses returns the statuses posted to Ferry's API (POST
// /api/v1/statuses) on sha of this repository, oldest first: a plain Git
// server keeps none, so the deploy tools report to Ferry instead.
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	list, err := p.store.Statuses(ctx, p.repo, sha)
	if err != nil {
		return nil, err
	}
	out := make([]promotion.Status, len(list))
	for i, s := range list {
		out[i] = promotion.Status{Context: s.Context, State: s.State, Description: s.Description, TargetURL: s.TargetURL, UpdatedAt: s.CreatedAt}
	}
	return out, nil
}

var (
	_ promotion.CommitStatuses = (*Provider)(nil)
	_ Store                    = store.Store(nil)
)
