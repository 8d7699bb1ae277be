package promotion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// RollbackActor requests the automatic rollbacks of the health gate.
const RollbackActor = "ferry:rollback"

// failGate ends a promotion a gate failed and, when it was the health gate
// and the environment's health gate says onFailure: rollback, promotes the
// release that ran in from before this one back into from, and pins it
// there. Another gate's failure (a missing signature, a pin upstream) says
// nothing about the release's health in from and rolls nothing back.
func (e *Engine) failGate(ctx context.Context, p Promotion, rel Release, env config.Environment, d Decision) {
	reason := d.Reason
	p.State, p.Reason, p.NextAttemptAt = StateFailed, reason, time.Time{}
	p.LeaseOwner, p.LeaseUntil, p.UpdatedAt = "", time.Time{}, e.now().UTC()
	if err := e.store.UpdatePromotion(ctx, e.cfg.Owner, p); err != nil {
		// Another worker holds it now and decides again.
		e.log.Warn("saving promotion", zap.String("promotion", p.ID), zap.Error(err))
		return
	}
	e.log.Info("promotion", zap.String("promotion", p.ID), zap.String("environment", p.Environment),
		zap.String("state", string(p.State)), zap.String("reason", reason))
	if d.Gate != (healthGate{}).Name() || env.Gates.Health == nil || env.Gates.Health.OnFailure != config.OnFailureRollback || env.From == "" {
		return
	}
	if err := e.rollback(ctx, p, rel, env.From, reason); err != nil {
		e.log.Warn("rolling back", zap.String("promotion", p.ID), zap.String("environment", env.From), zap.Error(err))
	}
}

// rollback promotes the release that completed in from before rel back
// into from, once: its id derives from the failed promotion's, so a second
// try is a conflict, and a release that came into from by an automatic
// rollback is never rolled back again (no loop between two bad releases).
// The rollback pins from at that release, with a reason naming the failed
// health gate, so the next build does not bring the bad release back.
func (e *Engine) rollback(ctx context.Context, failed Promotion, rel Release, from, reason string) error {
	arr, ok, err := e.arrivalIn(ctx, rel.ID, from)
	if err != nil || !ok {
		return err
	}
	if arr.RequestedBy == RollbackActor {
		e.log.Info("not rolling back a rollback", zap.String("promotion", failed.ID), zap.String("environment", from))
		return nil
	}
	prev, ok, err := e.previousIn(ctx, rel.Application, from, arr)
	if err != nil {
		return err
	}
	if !ok {
		e.log.Info("no previous release to roll back to", zap.String("promotion", failed.ID), zap.String("environment", from))
		return nil
	}
	now := e.now().UTC()
	rb := Promotion{
		ID: failed.ID + "-rollback", ReleaseID: prev.ReleaseID, Application: rel.Application, Environment: from,
		State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		RequestedBy: RollbackActor, Actor: RollbackActor,
		Note: fmt.Sprintf("automatic rollback of %s %s: promotion %s into %s failed its health gate: %s", from, rel.Tag, failed.ID, failed.Environment, reason),
	}
	prevRel, err := e.store.GetRelease(ctx, prev.ReleaseID)
	if err != nil {
		return fmt.Errorf("reading the release to roll back to: %w", err)
	}
	pin := e.newPin(prevRel, from, rb.ID, RollbackActor,
		fmt.Sprintf("automatic rollback from %s: the health gate of %s failed (promotion %s): %s", rel.Tag, failed.Environment, failed.ID, reason))
	if err := e.store.CreatePin(ctx, pin, &rb); errors.Is(err, derrors.ErrConflict) {
		return nil // rolled back already
	} else if err != nil {
		return fmt.Errorf("recording the rollback: %w", err)
	}
	e.log.Info("automatic rollback", zap.String("promotion", rb.ID), zap.String("release", prev.ReleaseID),
		zap.String("environment", from), zap.String("failed", failed.ID))
	e.Kick()
	return nil
}

// arrivalIn returns the completed promotion that brought a release into
// env (the newest, when it came more than once).
func (e *Engine) arrivalIn(ctx context.Context, releaseID, env string) (Promotion, bool, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{ReleaseID: releaseID, Environment: env, Limit: 50})
	if err != nil {
		return Promotion{}, false, fmt.Errorf("listing promotions of %s: %w", releaseID, err)
	}
	for _, q := range page.Items {
		if q.State == StateCommitted || q.State == StateMerged {
			return q, true, nil
		}
	}
	return Promotion{}, false, nil
}

// previousIn returns the newest promotion of another release that
// completed in env before arr.
func (e *Engine) previousIn(ctx context.Context, app, env string, arr Promotion) (Promotion, bool, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: app, Environment: env, Limit: 200})
	if err != nil {
		return Promotion{}, false, fmt.Errorf("listing promotions of %s in %s: %w", app, env, err)
	}
	for _, q := range page.Items {
		if q.ReleaseID != arr.ReleaseID && (q.State == StateCommitted || q.State == StateMerged) && q.CreatedAt.Before(arr.CreatedAt) {
			return q, true, nil
		}
	}
	return Promotion{}, false, nil
}

// statusReader is the commit-status reader of app's repository, if its
// provider has one.
func (e *Engine) statusReader(_ context.Context, app string) (CommitStatuses, bool) {
	ref, ok := e.catalog.find(app)
	if !ok {
		return nil, false
	}
	r, ok := e.providers[ref.repo.Name].(CommitStatuses)
	return r, ok
}
