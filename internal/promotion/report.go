package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Build is a build report from CI, already syntax-checked by the caller.
type Build struct {
	Application  string
	Image        string
	Tag          string
	Digest       string // optional
	SourceRepo   string
	SourceCommit string
	SourceBranch string
	CIRunURL     string
	// SourceCommittedAt and Fixes feed the DORA metrics (see Release).
	SourceCommittedAt time.Time
	Fixes             string
}

// Actor is who asks: a token's name and the applications it may report.
type Actor struct {
	Name string
	// Applications the actor may report builds for; "*" means any.
	Applications []string
}

// MayReport reports whether the actor may report builds of app.
func (a Actor) MayReport(app string) bool {
	return slices.Contains(a.Applications, "*") || slices.Contains(a.Applications, app)
}

// Reported is the outcome of a build report.
type Reported struct {
	Release   Release
	Promotion Promotion // into the first environment
	Duplicate bool
}

// ReportBuild verifies a build in its registry and records the release and
// its promotion into the first environment, before returning. Nothing is
// written when it fails. The Git work happens later, in the worker.
func (e *Engine) ReportBuild(ctx context.Context, b Build, who Actor) (Reported, error) {
	ref, err := e.checkBuild(ctx, b, who)
	if err != nil {
		return Reported{}, err
	}
	if b.Digest != "" {
		// A report CI re-sends (retries, re-runs) names what was verified
		// before: answer it from the store, without asking the registry again.
		if r, err := e.store.FindReleaseByDigest(ctx, b.Application, b.Digest); err == nil && r.Tag == b.Tag && r.Repository == b.Image {
			p, err := e.firstPromotion(ctx, r)
			if err != nil {
				return Reported{}, err
			}
			return Reported{Release: r, Promotion: p, Duplicate: true}, nil
		} else if err != nil && !errors.Is(err, derrors.ErrNotFound) {
			return Reported{}, fmt.Errorf("looking for an earlier report: %w", err)
		}
	}
	digest, err := e.reg.Resolve(ctx, b.Image, b.Tag, b.Digest)
	if err != nil {
		return Reported{}, err
	}
	now := e.now().UTC()
	rel := newRelease(b, digest, who, now)
	if err := e.verifyReport(ctx, ref.pipeline, &rel); err != nil {
		return Reported{}, err
	}
	var ps []Promotion
	for _, env := range ref.pipeline.Firsts() {
		ps = append(ps, Promotion{
			ID:            newID("prm"),
			ReleaseID:     rel.ID,
			Application:   rel.Application,
			Environment:   env.Name,
			State:         StatePending,
			NextAttemptAt: now,
			CreatedAt:     now,
			UpdatedAt:     now,
		})
	}
	existing, created, err := e.store.CreateRelease(ctx, rel, ps)
	if err != nil {
		return Reported{}, fmt.Errorf("recording release: %w", err)
	}
	if !created {
		p, err := e.firstPromotion(ctx, existing)
		if err != nil {
			return Reported{}, err
		}
		return Reported{Release: existing, Promotion: p, Duplicate: true}, nil
	}
	e.log.Info("release recorded", zap.String("release", rel.ID), zap.String("application", rel.Application),
		zap.String("image", rel.ImageRef()), zap.String("by", who.Name))
	e.Kick()
	return Reported{Release: rel, Promotion: ps[0]}, nil
}

// checkBuild checks what a build report may ask before the registry is
// asked: the reporter's right, the application and its image repository.
func (e *Engine) checkBuild(ctx context.Context, b Build, who Actor) (appRef, error) {
	if !who.MayReport(b.Application) {
		return appRef{}, derrors.New(derrors.Forbidden, "forbidden",
			"token %q may not report builds for application %q", who.Name, b.Application)
	}
	ref, err := e.catalog.lookup(ctx, b.Application)
	if err != nil {
		return appRef{}, err
	}
	if b.Image != ref.app.Image {
		return appRef{}, derrors.New(derrors.Unprocessable, "image_not_of_application",
			"image %q is not application %q's image repository (%s)", b.Image, b.Application, ref.app.Image)
	}
	if err := e.reg.Allowed(b.Image); err != nil {
		return appRef{}, err
	}
	return ref, nil
}

// newRelease is the release a verified build becomes.
func newRelease(b Build, digest string, who Actor, now time.Time) Release {
	return Release{
		ID:           newID("rel"),
		Application:  b.Application,
		Repository:   b.Image,
		Tag:          b.Tag,
		Digest:       digest,
		SourceRepo:   b.SourceRepo,
		SourceCommit: b.SourceCommit,
		SourceBranch: b.SourceBranch,
		CIRunURL:     b.CIRunURL,
		ReportedBy:   who.Name,
		CreatedAt:    now,

		SourceCommittedAt: b.SourceCommittedAt,
		Fixes:             b.Fixes,
	}
}

// firstPromotion returns the oldest promotion of a release.
func (e *Engine) firstPromotion(ctx context.Context, r Release) (Promotion, error) {
	var first Promotion
	f := PromotionFilter{ReleaseID: r.ID, Limit: 500}
	for {
		page, err := e.store.ListPromotions(ctx, f)
		if err != nil {
			return Promotion{}, fmt.Errorf("listing promotions of %s: %w", r.ID, err)
		}
		if len(page.Items) > 0 {
			first = page.Items[len(page.Items)-1]
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if first.ID == "" {
		return Promotion{}, fmt.Errorf("release %s has no promotion", r.ID)
	}
	return first, nil
}

// Wait returns the promotion once it is terminal, or as it is when ctx ends.
func (e *Engine) Wait(ctx context.Context, id string) (Promotion, error) {
	for {
		ch := e.changes()
		p, err := e.store.GetPromotion(ctx, id)
		if err != nil && ctx.Err() != nil {
			// The caller's wait ended before or during the read.
			return e.store.GetPromotion(context.WithoutCancel(ctx), id)
		}
		if err != nil || p.State.Terminal() {
			return p, err
		}
		select {
		case <-ctx.Done():
			// The caller's wait ended: answer with the state as it is.
			return e.store.GetPromotion(context.WithoutCancel(ctx), id)
		case <-ch:
		case <-time.After(e.cfg.PollInterval): // another replica may have done it
		}
	}
}
