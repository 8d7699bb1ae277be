package promotion

import (
	"context"
	"fmt"
)

// healthWaiters finds the promotions of repo waiting on their health gate
// for statuses of sha: a status event wakes them, so a green (or red)
// status acts at once rather than at the next poll.
func (e *Engine) healthWaiters(ctx context.Context, repo string, ev Event) ([]string, error) {
	if ev.Kind != EventChecks || ev.HeadSHA == "" {
		return nil, nil
	}
	page, err := e.store.ListPromotions(ctx, PromotionFilter{State: StateWaiting, Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("finding waiting promotions: %w", err)
	}
	var ids []string
	for _, p := range page.Items {
		ref, ok := e.catalog.find(p.Application)
		if !ok || ref.repo.Name != repo {
			continue
		}
		env, ok := ref.pipeline.Environment(p.Environment)
		if !ok || env.Gates.Health == nil || env.From == "" {
			continue
		}
		arr, ok, err := e.arrivalIn(ctx, p.ReleaseID, env.From)
		if err != nil {
			return nil, err
		}
		if ok && arrivalSHA(arr) == ev.HeadSHA {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}
