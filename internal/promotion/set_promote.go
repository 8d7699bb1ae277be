package promotion

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// SetRelease returns a set release by id.
func (e *Engine) SetRelease(ctx context.Context, id string) (SetRelease, error) {
	return e.store.GetSetRelease(ctx, id)
}

// SetReleases lists set releases, newest first.
func (e *Engine) SetReleases(ctx context.Context, f SetReleaseFilter) (Page[SetRelease], error) {
	return e.store.ListSetReleases(ctx, f)
}

// PromoteSetRequest asks for a set release to move into an environment as
// one: a promotion, or a rollback when it is older than what runs there.
type PromoteSetRequest struct {
	// SetRelease is the set release's id.
	SetRelease  string
	Environment string
	// Force skips the from chain: the members need not have reached the
	// environment this one is promoted from.
	Force  bool
	Reason string
}

// PromoteSet records a promotion (or rollback) of a whole set release into
// an environment: one promotion per member, stored together, moved as one
// commit or pull request.
func (e *Engine) PromoteSet(ctx context.Context, req PromoteSetRequest, actor string) (SetRelease, []Promotion, error) {
	sr, err := e.store.GetSetRelease(ctx, req.SetRelease)
	if err != nil {
		return SetRelease{}, nil, err
	}
	ref, err := e.lookupSet(ctx, sr.Name)
	if err != nil {
		return SetRelease{}, nil, err
	}
	env, ok := ref.pipeline.Environment(req.Environment)
	if !ok {
		return SetRelease{}, nil, derrors.New(derrors.NotFound, "unknown_environment",
			"environment %q is not in release set %q's pipeline", req.Environment, sr.Name)
	}
	if env.From != "" && !req.Force {
		for i, id := range sr.Releases {
			if _, done, err := e.completedAt(ctx, id, env.From); err != nil {
				return SetRelease{}, nil, err
			} else if !done {
				return SetRelease{}, nil, derrors.New(derrors.Unprocessable, "skips_environment",
					"release set %s: %s's release %s has not reached %s, which %s is promoted from; promote the set there first, or ask with force",
					sr.ID, sr.Applications[i], id, env.From, env.Name)
			}
		}
	}
	rollback, err := e.isSetRollback(ctx, sr, env.Name)
	if err != nil {
		return SetRelease{}, nil, err
	}
	now := e.now().UTC()
	note := "release set " + sr.Name + " (" + sr.ID + ") requested by " + actor
	if rollback {
		note = "release set " + sr.Name + " rolled back to " + sr.ID + " by " + actor
	}
	if r := strings.TrimSpace(req.Reason); r != "" {
		note += ": " + r
	}
	var ps []Promotion
	for i, app := range sr.Applications {
		ps = append(ps, Promotion{
			ID: newID("prm"), ReleaseID: sr.Releases[i], Application: app, Environment: env.Name,
			State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
			RequestedBy: actor, Forced: req.Force && env.From != "", Actor: actor, Note: note, SetRelease: sr.ID,
		})
	}
	pins, err := e.setPins(ctx, sr, ps, rollback, actor, req.Reason)
	if err != nil {
		return SetRelease{}, nil, err
	}
	if err := e.store.CreatePromotions(ctx, ps, pins); err != nil {
		return SetRelease{}, nil, fmt.Errorf("recording the set's promotions: %w", err)
	}
	e.supersedeOtherSets(ctx, sr, env.Name, ps[0].ID)
	for _, p := range pins {
		e.log.Info("pinned", zap.String("application", p.Application), zap.String("environment", p.Environment),
			zap.String("release", p.ReleaseID), zap.String("by", actor), zap.String("set_release", sr.ID))
		e.wakeHeld(ctx, p.Application, p.Environment)
	}
	e.log.Info("release set promotion requested", zap.String("set_release", sr.ID), zap.String("set", sr.Name),
		zap.String("environment", env.Name), zap.String("by", actor), zap.Bool("rollback", rollback))
	e.Kick()
	return sr, ps, nil
}

// setPins are the pins a set promotion ps of sr stores with its
// promotions, in the same transaction: every member in env at its release
// when the set is rolled back there, and, when the set is promoted
// explicitly, each member pinned in env with its pin moved to the member's
// release (as a single explicit promotion moves it), so that automatic
// promotions of the members are held until someone unpins.
func (e *Engine) setPins(ctx context.Context, sr SetRelease, ps []Promotion, rollback bool, actor, reason string) ([]Pin, error) {
	why := strings.TrimSpace(reason)
	if why == "" {
		why = "release set " + sr.Name + " promoted to " + sr.ID
		if rollback {
			why = "release set " + sr.Name + " rolled back to " + sr.ID
		}
	}
	var pins []Pin
	for _, p := range ps {
		if !rollback {
			_, pinned, err := e.activePin(ctx, p.Application, p.Environment)
			if err != nil {
				return nil, err
			}
			if !pinned {
				continue
			}
		}
		rel, err := e.store.GetRelease(ctx, p.ReleaseID)
		if err != nil {
			return nil, fmt.Errorf("reading %s's release %s: %w", p.Application, p.ReleaseID, err)
		}
		pins = append(pins, e.newPin(rel, p.Environment, p.ID, actor, why))
	}
	return pins, nil
}

// isSetRollback reports whether a newer release of the same set has
// completed in env: then moving sr there is a rollback.
func (e *Engine) isSetRollback(ctx context.Context, sr SetRelease, env string) (bool, error) {
	page, err := e.store.ListSetReleases(ctx, SetReleaseFilter{Name: sr.Name, Limit: 50})
	if err != nil {
		return false, err
	}
	for _, other := range page.Items { // newest first
		if other.ID == sr.ID || !other.CreatedAt.After(sr.CreatedAt) {
			break
		}
		ps, err := e.setPromotions(ctx, other.ID, env)
		if err != nil {
			return false, err
		}
		for _, p := range ps {
			if p.State == StateCommitted || p.State == StateMerged {
				return true, nil
			}
		}
	}
	return false, nil
}

// supersedeOtherSets supersedes the members' pending or waiting promotions
// into env of other set releases of the set: the newest request wins. Open
// pull requests are superseded when the new one updates the set's pull
// request.
func (e *Engine) supersedeOtherSets(ctx context.Context, sr SetRelease, env, by string) {
	for _, app := range sr.Applications {
		for _, st := range []State{StatePending, StateWaiting} {
			page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: app, Environment: env, State: st, Limit: 50})
			if err != nil {
				e.log.Warn("listing promotions a set promotion supersedes", zap.Error(err))
				return
			}
			for _, q := range page.Items {
				if q.SetRelease == "" || q.SetRelease == sr.ID {
					continue
				}
				err := e.updateUnleased(ctx, q.ID, func(p *Promotion) error {
					if p.State != StatePending && p.State != StateWaiting {
						return errUnchanged
					}
					p.State, p.Reason = StateSuperseded, "superseded by promotion "+by+" (release set "+sr.ID+")"
					return nil
				})
				if err != nil {
					e.log.Warn("superseding a set's promotion", zap.String("promotion", q.ID), zap.Error(err))
				}
			}
		}
	}
}
