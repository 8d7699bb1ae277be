package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// PromoteRequest asks for a release to move into an environment: a
// promotion, or a rollback when the release is older than what runs there.
type PromoteRequest struct {
	Application string
	Environment string
	// Release names the release: its id, its digest ("sha256:…") or its tag.
	Release string
	// Force skips the from chain: the release need not have reached the
	// environment this one is promoted from. Who forced it is recorded.
	Force bool
	// Reason is the requester's note, recorded with the promotion (and
	// with the pin, when it pins).
	Reason string
	// Rollback pins the environment at the release even when it is not
	// older than what runs there (an explicit pin). A release older than
	// what runs there pins without it.
	Rollback bool
}

// Promote records a manual promotion (or rollback) by a release manager.
//
// A rollback (a release older than what runs in the environment, or
// req.Rollback) pins the application there at that release, in the same
// transaction. An explicit promotion into a pinned environment replaces
// the pin with one at its own release: a person chose what runs there, and
// automatic promotions stay held until someone unpins.
func (e *Engine) Promote(ctx context.Context, req PromoteRequest, actor string) (Promotion, error) {
	m, err := e.manualPromotion(ctx, req, actor)
	if err != nil {
		return Promotion{}, err
	}
	p, rel, env := m.it.p, m.it.rel, m.env
	pin, err := e.manualPin(ctx, req, p, rel, actor)
	if err != nil {
		return Promotion{}, err
	}
	if pin != nil {
		err = e.store.CreatePin(ctx, *pin, &p)
	} else {
		err = e.store.CreatePromotion(ctx, p)
	}
	if err != nil {
		return Promotion{}, fmt.Errorf("recording promotion: %w", err)
	}
	if pin != nil {
		e.wakeHeld(ctx, p.Application, p.Environment)
	}
	e.log.Info("promotion requested", zap.String("promotion", p.ID), zap.String("release", rel.ID),
		zap.String("environment", env.Name), zap.String("by", actor), zap.Bool("forced", p.Forced))
	e.Kick()
	return p, nil
}

// manual is a manual promotion checked and ready to record (Promote) or
// preview (PreviewPromote).
type manual struct {
	it   *item
	repo *Repo
	env  config.Environment
	// explicit is true for a person's request (not a build's preview): it
	// moves the environment's pin to its release, so no pin holds it.
	explicit bool
}

// manualPromotion checks a manual promotion and returns it as it would be
// recorded, writing nothing.
func (e *Engine) manualPromotion(ctx context.Context, req PromoteRequest, actor string) (manual, error) {
	ref, err := e.catalog.lookup(ctx, req.Application)
	if err != nil {
		return manual{}, err
	}
	env, ok := ref.pipeline.Environment(req.Environment)
	if !ok {
		return manual{}, derrors.New(derrors.NotFound, "unknown_environment",
			"environment %q is not in application %q's pipeline", req.Environment, req.Application)
	}
	rel, err := e.findRelease(ctx, req.Application, req.Release)
	if err != nil {
		return manual{}, err
	}
	if env.From != "" && !req.Force {
		_, done, err := e.completedAt(ctx, rel.ID, env.From)
		if err != nil {
			return manual{}, err
		}
		if !done {
			return manual{}, derrors.New(derrors.Unprocessable, "skips_environment",
				"release %s (%s) has not reached %s, which %s is promoted from; promote it there first, or ask with force", rel.ID, rel.Tag, env.From, env.Name)
		}
		// A pinned from runs the pinned release: one rolled back there
		// does not go on from it.
		up, pinned, err := e.activePin(ctx, rel.Application, env.From)
		if err != nil {
			return manual{}, err
		}
		if pinned && up.ReleaseID != rel.ID {
			return manual{}, derrors.New(derrors.Unprocessable, "skips_environment",
				"release %s (%s) no longer runs in %s, which %s is promoted from: %s is pinned at %s (%s); promote %s, or ask with force",
				rel.ID, rel.Tag, env.From, env.Name, env.From, up.ReleaseTag, up.Held(), up.ReleaseTag)
		}
	}
	now := e.now().UTC()
	p := Promotion{
		ID: newID("prm"), ReleaseID: rel.ID, Application: rel.Application, Environment: env.Name,
		State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		RequestedBy: actor, Forced: req.Force && env.From != "", Actor: actor,
		Note: "requested by " + actor,
	}
	if p.Forced {
		p.Note = "forced by " + actor + " (skips " + env.From + ")"
	}
	if r := strings.TrimSpace(req.Reason); r != "" {
		p.Note += ": " + r
	}
	it := &item{p: p, rel: rel, app: ref.app, target: ref.app.TargetFor(env.Name, env.Branch)}
	return manual{it: it, repo: ref.repo, env: env, explicit: true}, nil
}

// manualPin returns the pin a manual promotion p of rel sets, or nil: a
// rollback pins, and an explicit promotion into a pinned environment
// moves the pin to its release.
func (e *Engine) manualPin(ctx context.Context, req PromoteRequest, p Promotion, rel Release, actor string) (*Pin, error) {
	_, pinned, err := e.activePin(ctx, p.Application, p.Environment)
	if err != nil {
		return nil, err
	}
	cur, runs, err := e.running(ctx, p.Application, p.Environment)
	if err != nil {
		return nil, err
	}
	older := runs && cur.ID != rel.ID && rel.CreatedAt.Before(cur.CreatedAt)
	if !older && !req.Rollback && !pinned {
		return nil, nil
	}
	why := strings.TrimSpace(req.Reason)
	if why == "" {
		switch {
		case older:
			why = "rolled back from " + cur.Tag + " to " + rel.Tag
		case pinned:
			why = "promoted " + rel.Tag + " explicitly"
		default:
			why = "pinned at " + rel.Tag
		}
	}
	pin := e.newPin(rel, p.Environment, p.ID, actor, why)
	return &pin, nil
}

// findRelease finds an application's release by id, digest or tag.
func (e *Engine) findRelease(ctx context.Context, app, name string) (Release, error) {
	var (
		r   Release
		err error
	)
	switch {
	case strings.HasPrefix(name, "rel_"):
		r, err = e.store.GetRelease(ctx, name)
		if err == nil && r.Application != app {
			err = fmt.Errorf("release of %s: %w", r.Application, derrors.ErrNotFound)
		}
	case strings.HasPrefix(name, "sha256:") || strings.HasPrefix(name, "sha512:"):
		r, err = e.store.FindReleaseByDigest(ctx, app, name)
	default:
		r, err = e.store.FindReleaseByTag(ctx, app, name)
	}
	if errors.Is(err, derrors.ErrNotFound) {
		return Release{}, derrors.New(derrors.NotFound, "unknown_release",
			"application %q has no release %q (give a release id, digest or tag CI reported)", app, name)
	}
	return r, err
}
