package promotion

import (
	"context"

	"go.uber.org/zap"
)

// takeChanged returns the repositories whose pipeline changed since the
// last call, with the branch head that changed it, and forgets them.
func (c *catalog) takeChanged() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.changed) == 0 {
		return nil
	}
	out := c.changed
	c.changed = map[string]string{}
	return out
}

// releaseOnPipelineChange looks again, at once, at every waiting promotion
// of a repository whose pipeline just changed: a lifted freeze, a shorter
// soak or a removed gate must not wait for the time the old pipeline named.
// A promotion the new gates let go is pending again, and its history says
// that the pipeline change released it; one still held gets the new reason
// and time. Promotions a worker holds are left to it.
func (e *Engine) releaseOnPipelineChange(ctx context.Context) {
	changed := e.catalog.takeChanged()
	if len(changed) == 0 {
		return
	}
	page, err := e.store.ListPromotions(ctx, PromotionFilter{State: StateWaiting, Limit: 500})
	if err != nil {
		e.log.Warn("listing waiting promotions after a pipeline change", zap.Error(err))
		return
	}
	now := e.now().UTC()
	released := 0
	for _, p := range page.Items {
		ref, ok := e.catalog.find(p.Application)
		if !ok {
			continue
		}
		head, ok := changed[ref.repo.Name]
		if !ok || (p.LeaseOwner != "" && p.LeaseUntil.After(now)) {
			continue
		}
		env, ok := ref.pipeline.Environment(p.Environment)
		if !ok {
			continue
		}
		rel, err := e.store.GetRelease(ctx, p.ReleaseID)
		if err != nil {
			e.log.Warn("reading release", zap.String("release", p.ReleaseID), zap.Error(err))
			continue
		}
		d, err := decide(ctx, e.admission, e.gateInput(p, rel, env))
		if err != nil || d.Fail {
			continue // the worker decides it when it comes due
		}
		note := "pipeline change (" + ref.repo.PipelineFile + " at " + short(head) + ")"
		switch {
		case d.Open:
			p.State, p.Reason, p.NextAttemptAt = StatePending, "", now
			p.Note = "released by a " + note
			released++
		case d.Reason != p.Reason || !d.Until.Equal(p.NextAttemptAt):
			p.Reason, p.NextAttemptAt = d.Reason, d.Until
			p.Note = "after a " + note + ": " + d.Reason
		default:
			continue
		}
		p.Actor, p.UpdatedAt = "ferry", now
		if err := e.store.UpdatePromotion(ctx, "", p); err != nil {
			e.log.Warn("re-deciding promotion after a pipeline change", zap.String("promotion", p.ID), zap.Error(err))
		}
	}
	if released > 0 {
		e.log.Info("pipeline change released promotions", zap.Int("released", released))
		e.Kick()
	}
}
