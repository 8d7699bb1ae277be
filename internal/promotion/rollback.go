package promotion

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// closeBehind runs after p completed release rel in p.Environment: when rel
// is older than a release still on its way from there (a rollback), that
// release's in-flight promotions into the environments promoted from
// p.Environment (pending, waiting, pr-open) are superseded, and an open
// pull request is closed with a comment saying why, so that nobody can
// approve the rolled-back release onwards. A newer release (a roll
// forward) needs nothing here: its own promotion updates the one pull
// request of the environment in place and supersedes the older one.
func (e *Engine) closeBehind(ctx context.Context, repo *Repo, p Promotion, rel Release) {
	pl := e.pipelineOf(repo)
	if pl == nil {
		return
	}
	for _, n := range pl.Next(p.Environment) {
		for _, st := range []State{StatePending, StateWaiting, StatePROpen} {
			page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: p.Application, Environment: n.Name, State: st, Limit: 50})
			if err != nil {
				e.log.Warn("listing promotions behind a rollback", zap.String("promotion", p.ID), zap.Error(err))
				return
			}
			for _, q := range page.Items {
				if q.ReleaseID == p.ReleaseID {
					continue
				}
				other, err := e.store.GetRelease(ctx, q.ReleaseID)
				if err != nil {
					e.log.Warn("reading a release behind a rollback", zap.String("promotion", q.ID), zap.Error(err))
					continue
				}
				if !other.CreatedAt.After(rel.CreatedAt) {
					continue // rolled forward: handled in place
				}
				why := fmt.Sprintf("%s was rolled back to %s (promotion %s): %s no longer goes on to %s",
					p.Environment, rel.Tag, p.ID, other.Tag, n.Name)
				e.supersedeBehind(ctx, repo, q.ID, why)
			}
		}
	}
}

// supersedeBehind supersedes promotion id with reason why and closes its
// pull request, if one is open, with a comment saying why.
func (e *Engine) supersedeBehind(ctx context.Context, repo *Repo, id, why string) {
	var closing Promotion
	err := e.updateUnleased(ctx, id, func(q *Promotion) error {
		switch q.State {
		case StatePending, StateWaiting, StatePROpen:
		default:
			return errUnchanged // it ended meanwhile
		}
		if q.State == StatePROpen {
			closing = *q
		}
		q.State, q.Reason, q.Actor = StateSuperseded, "superseded: "+why, "ferry"
		q.NextAttemptAt = time.Time{}
		return nil
	})
	if err != nil {
		e.log.Warn("superseding promotion", zap.String("promotion", id), zap.Error(err))
		return
	}
	pr := closing.PRNumber
	if pr == 0 {
		return
	}
	prov, err := e.provider(repo.Name)
	if err != nil {
		e.log.Warn("closing a rolled-back pull request", zap.String("promotion", id), zap.Error(err))
		return
	}
	if err := prov.Close(ctx, pr, "Ferry closed this pull request: "+why+"."); err != nil {
		e.log.Warn("closing a rolled-back pull request", zap.String("promotion", id), zap.Int("pr", pr), zap.Error(err))
		return
	}
	e.dropBranch(ctx, repo, closing)
}
