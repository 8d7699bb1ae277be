package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Pin holds automatic promotions of an application into an environment:
// a rollback (manual, or the health gate's) pins the release it rolled
// back to, and until someone unpins, promotions of other releases into
// that environment wait (see pinGate) unless a person asks for them
// explicitly, which moves the pin to their release. Pins are keyed by
// (Application, Environment); a release set pins each member.
type Pin struct {
	ID          string
	Application string
	Environment string
	// ReleaseID and ReleaseTag name the release the environment is pinned
	// at: what runs there, and the only release that may go on from it.
	ReleaseID  string
	ReleaseTag string
	// PromotionID is the promotion that pinned (the rollback); "" for a
	// pin made on its own (Engine.Pin).
	PromotionID string
	PinnedBy    string
	Reason      string
	CreatedAt   time.Time
	// Active is false once the pin ended: unpinned, or replaced by a newer
	// pin of the same application and environment. EndedAt, EndedBy and
	// EndReason say when, by whom and why.
	Active    bool
	EndedAt   time.Time
	EndedBy   string
	EndReason string
}

// Held is the reason of a promotion the pin holds: "pinned by <who> at
// <time>: <reason>".
func (p Pin) Held() string {
	s := fmt.Sprintf("pinned by %s at %s", orSomeone(p.PinnedBy), stamp(p.CreatedAt))
	if p.Reason != "" {
		s += ": " + p.Reason
	}
	return s
}

// PinFilter selects pins, newest first.
type PinFilter struct {
	Application string // empty: any
	Environment string // empty: any
	// Ended includes pins that ended (the pins' history); otherwise only
	// active pins are listed.
	Ended bool
	Limit int // 1..500; 0 means 50
}

// PinStore keeps pins. At most one pin of an application and environment
// is active.
type PinStore interface {
	// CreatePin stores p as the active pin of its application and
	// environment, ending the one active before (EndedBy p.PinnedBy,
	// EndReason "replaced by pin <id>"), in one transaction. With promote
	// set, it also stores that promotion (the rollback that pins), in the
	// same transaction: a rollback never runs without its pin.
	CreatePin(ctx context.Context, p Pin, promote *Promotion) error
	// ActivePin returns the active pin of app in env, or
	// derrors.ErrNotFound (wrapped).
	ActivePin(ctx context.Context, app, env string) (Pin, error)
	// EndPin ends the active pin of app in env, recording by, why and at,
	// and returns it as ended; derrors.ErrNotFound (wrapped) when none is
	// active.
	EndPin(ctx context.Context, app, env, by, why string, at time.Time) (Pin, error)
	// ListPins returns pins, newest first.
	ListPins(ctx context.Context, f PinFilter) ([]Pin, error)
}

// PinRequest pins an application in an environment at a release.
type PinRequest struct {
	Application string
	Environment string
	// Release names the release: its id, its digest or its tag.
	Release string
	// PromotionID is the promotion that pins, if any (a set rollback's
	// member promotion), for history.
	PromotionID string
	Reason      string
}

// Pin pins an application in an environment at a release, replacing the
// pin there before, if any: automatic promotions of other releases into
// env wait until Unpin. Release sets call it for each member they roll
// back. It checks that the application and environment are in a pipeline.
func (e *Engine) Pin(ctx context.Context, req PinRequest, who string) (Pin, error) {
	ref, err := e.catalog.lookup(ctx, req.Application)
	if err != nil {
		return Pin{}, err
	}
	if _, ok := ref.pipeline.Environment(req.Environment); !ok {
		return Pin{}, derrors.New(derrors.NotFound, "unknown_environment",
			"environment %q is not in application %q's pipeline", req.Environment, req.Application)
	}
	rel, err := e.findRelease(ctx, req.Application, req.Release)
	if err != nil {
		return Pin{}, err
	}
	p := e.newPin(rel, req.Environment, req.PromotionID, who, req.Reason)
	if err := e.store.CreatePin(ctx, p, nil); err != nil {
		return Pin{}, fmt.Errorf("pinning %s in %s: %w", req.Application, req.Environment, err)
	}
	e.log.Info("pinned", zap.String("application", p.Application), zap.String("environment", p.Environment),
		zap.String("release", p.ReleaseID), zap.String("by", who))
	e.wakeHeld(ctx, p.Application, p.Environment)
	return p, nil
}

// newPin returns an active pin of rel's application in env at rel.
func (e *Engine) newPin(rel Release, env, promotionID, who, reason string) Pin {
	return Pin{
		ID: newID("pin"), Application: rel.Application, Environment: env,
		ReleaseID: rel.ID, ReleaseTag: rel.Tag, PromotionID: promotionID,
		PinnedBy: orSomeone(who), Reason: strings.TrimSpace(reason), CreatedAt: e.now().UTC(), Active: true,
	}
}

// Unpin ends the pin of app in env and wakes the promotions it held:
// they are decided again now and go on. It is derrors.NotFound with code
// "not_pinned" when app is not pinned in env.
func (e *Engine) Unpin(ctx context.Context, app, env, who, reason string) (Pin, error) {
	p, err := e.store.EndPin(ctx, app, env, orSomeone(who), strings.TrimSpace(reason), e.now().UTC())
	if errors.Is(err, derrors.ErrNotFound) {
		return Pin{}, derrors.New(derrors.NotFound, "not_pinned", "application %q is not pinned in %q", app, env)
	}
	if err != nil {
		return Pin{}, fmt.Errorf("unpinning %s in %s: %w", app, env, err)
	}
	e.log.Info("unpinned", zap.String("application", app), zap.String("environment", env), zap.String("by", who))
	e.wakeHeld(ctx, app, env)
	return p, nil
}

// wakeHeld has the waiting promotions of app into env decided again now:
// a pin ended or moved, and those it held may go on.
func (e *Engine) wakeHeld(ctx context.Context, app, env string) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: app, Environment: env, State: StateWaiting, Limit: 200})
	if err != nil {
		// The held promotions look again by themselves (heldRecheck).
		e.log.Warn("listing promotions held by a pin", zap.Error(err))
		return
	}
	now := e.now().UTC()
	for _, q := range page.Items {
		if err := e.store.Wake(ctx, q.ID, now); err != nil {
			e.log.Warn("waking a promotion held by a pin", zap.String("promotion", q.ID), zap.Error(err))
		}
	}
	e.Kick()
}

// Pins lists pins, newest first.
func (e *Engine) Pins(ctx context.Context, f PinFilter) ([]Pin, error) {
	return e.store.ListPins(ctx, f)
}

// activePin returns the active pin of app in env, if any.
func (e *Engine) activePin(ctx context.Context, app, env string) (Pin, bool, error) {
	p, err := e.store.ActivePin(ctx, app, env)
	if errors.Is(err, derrors.ErrNotFound) {
		return Pin{}, false, nil
	}
	if err != nil {
		return Pin{}, false, fmt.Errorf("reading the pin of %s in %s: %w", app, env, err)
	}
	return p, true, nil
}

// running returns the release that completed last in env (what a rollback
// is measured against), if any.
func (e *Engine) running(ctx context.Context, app, env string) (Release, bool, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: app, Environment: env, Limit: 200})
	if err != nil {
		return Release{}, false, fmt.Errorf("listing promotions of %s in %s: %w", app, env, err)
	}
	var last *Promotion
	for i, q := range page.Items {
		if (q.State == StateCommitted || q.State == StateMerged) && (last == nil || q.UpdatedAt.After(last.UpdatedAt)) {
			last = &page.Items[i]
		}
	}
	if last == nil {
		return Release{}, false, nil
	}
	r, err := e.store.GetRelease(ctx, last.ReleaseID)
	if err != nil {
		return Release{}, false, err
	}
	return r, true, nil
}
