package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

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
	// Reason is the requester's note, recorded with the promotion.
	Reason string
}

// Promote records a manual promotion (or rollback) by a release manager.
func (e *Engine) Promote(ctx context.Context, req PromoteRequest, actor string) (Promotion, error) {
	ref, err := e.catalog.lookup(ctx, req.Application)
	if err != nil {
		return Promotion{}, err
	}
	env, ok := ref.pipeline.Environment(req.Environment)
	if !ok {
		return Promotion{}, derrors.New(derrors.NotFound, "unknown_environment",
			"environment %q is not in application %q's pipeline", req.Environment, req.Application)
	}
	rel, err := e.findRelease(ctx, req.Application, req.Release)
	if err != nil {
		return Promotion{}, err
	}
	if env.From != "" && !req.Force {
		_, done, err := e.completedAt(ctx, rel.ID, env.From)
		if err != nil {
			return Promotion{}, err
		}
		if !done {
			return Promotion{}, derrors.New(derrors.Unprocessable, "skips_environment",
				"release %s (%s) has not reached %s, which %s is promoted from; promote it there first, or ask with force", rel.ID, rel.Tag, env.From, env.Name)
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
	if err := e.store.CreatePromotion(ctx, p); err != nil {
		return Promotion{}, fmt.Errorf("recording promotion: %w", err)
	}
	e.log.Info("promotion requested", zap.String("promotion", p.ID), zap.String("release", rel.ID),
		zap.String("environment", env.Name), zap.String("by", actor), zap.Bool("forced", p.Forced))
	e.Kick()
	return p, nil
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
