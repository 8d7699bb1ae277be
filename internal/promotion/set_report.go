package promotion

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// setRef is a release set with the repository and pipeline that define it.
type setRef struct {
	repo     *Repo
	pipeline *config.Pipeline
	set      *config.Set
}

// lookupSet finds the set called name in the loaded pipelines.
func (e *Engine) lookupSet(ctx context.Context, name string) (setRef, error) {
	find := func() (setRef, bool) {
		for _, ref := range e.catalog.all() {
			if s, ok := ref.pipeline.Set(name); ok {
				return setRef{repo: ref.repo, pipeline: ref.pipeline, set: s}, true
			}
		}
		return setRef{}, false
	}
	if ref, ok := find(); ok {
		return ref, nil
	}
	e.catalog.load(ctx)
	if ref, ok := find(); ok {
		return ref, nil
	}
	return setRef{}, derrors.New(derrors.NotFound, "unknown_set",
		"release set %q is not defined in any environment repository's pipeline", name)
}

// SetReported is the outcome of a release set report.
type SetReported struct {
	Set      SetRelease
	Releases []Release   // in the set's order
	Promoted []Promotion // into the first environments
}

// ReportSet verifies every member's build of a release set in its registry
// and, only when all pass, records the members' releases, the set release
// and its promotions into the first environments in one transaction. One
// failing member refuses the whole set (code release_set_refused, one item
// per failing member) and nothing is written.
func (e *Engine) ReportSet(ctx context.Context, name string, builds []Build, who Actor) (SetReported, error) {
	ref, sr, rels, err := e.verifySet(ctx, name, builds, who)
	if err != nil {
		return SetReported{}, err
	}
	ps := setEntryPromotions(ref, sr, rels, who, sr.CreatedAt)
	stored, err := e.store.CreateSetRelease(ctx, sr, rels, ps)
	if err != nil {
		return SetReported{}, fmt.Errorf("recording release set: %w", err)
	}
	for i := range rels {
		rels[i].ID = stored.Releases[i]
	}
	for i := range ps {
		if id, ok := stored.ReleaseOf(ps[i].Application); ok {
			ps[i].ReleaseID = id
		}
	}
	e.log.Info("release set recorded", zap.String("set", name), zap.String("set_release", stored.ID),
		zap.Int("members", len(rels)), zap.String("by", who.Name))
	e.Kick()
	return SetReported{Set: stored, Releases: rels, Promoted: ps}, nil
}

// verifySet checks a set report as ReportSet does, recording nothing: every
// member's build verified in its registry, one failure refusing them all
// (release_set_refused). It returns the set release and its members'
// releases as they would be recorded.
func (e *Engine) verifySet(ctx context.Context, name string, builds []Build, who Actor) (setRef, SetRelease, []Release, error) {
	ref, err := e.lookupSet(ctx, name)
	if err != nil {
		return setRef{}, SetRelease{}, nil, err
	}
	var items []derrors.Item
	kind := derrors.Unprocessable
	refuse := func(app string, err error) {
		de, ok := derrors.As(err)
		if !ok {
			de = derrors.New(derrors.Unavailable, "internal", "%s", publicError(err))
		}
		if de.Kind == derrors.Unavailable || (de.Kind == derrors.Forbidden && kind != derrors.Unavailable) {
			kind = de.Kind // a dependency down (retry) or a token refused decides the status
		}
		items = append(items, derrors.Item{Name: app, Code: de.Code, Detail: de.Detail})
	}
	byApp := map[string]Build{}
	for _, b := range builds {
		switch {
		case !slices.Contains(ref.set.Applications, b.Application):
			refuse(b.Application, derrors.New(derrors.Unprocessable, "not_in_set", "application %q is not a member of set %q (%s)", b.Application, name, strings.Join(ref.set.Applications, ", ")))
		case byApp[b.Application].Application != "":
			refuse(b.Application, derrors.New(derrors.Unprocessable, "duplicate_member", "application %q is listed twice", b.Application))
		default:
			byApp[b.Application] = b
		}
	}
	for _, app := range ref.set.Applications {
		if _, ok := byApp[app]; !ok {
			refuse(app, derrors.New(derrors.Unprocessable, "member_missing", "set %q needs a build of every member; %q has none", name, app))
		}
	}
	now := e.now().UTC()
	sr := SetRelease{ID: newID("set"), Name: name, ReportedBy: who.Name, CreatedAt: now}
	var rels []Release
	for _, app := range ref.set.Applications {
		b, ok := byApp[app]
		if !ok {
			continue
		}
		if _, err := e.checkBuild(ctx, b, who); err != nil {
			refuse(app, err)
			continue
		}
		digest, err := e.reg.Resolve(ctx, b.Image, b.Tag, b.Digest)
		if err != nil {
			refuse(app, err)
			continue
		}
		rel := newRelease(b, digest, who, now)
		if err := e.verifyReport(ctx, ref.pipeline, &rel); err != nil {
			refuse(app, err)
			continue
		}
		rels = append(rels, rel)
		sr.Applications, sr.Releases = append(sr.Applications, app), append(sr.Releases, rel.ID)
	}
	if len(items) > 0 {
		var names []string
		for _, it := range items {
			names = append(names, it.Name+" ("+it.Code+")")
		}
		de := derrors.New(kind, "release_set_refused", "release set %q refused, nothing recorded: %d of %d members failed: %s",
			name, len(items), len(ref.set.Applications), strings.Join(names, ", "))
		de.Items = items
		return setRef{}, SetRelease{}, nil, de
	}
	return ref, sr, rels, nil
}

// setEntryPromotions are a reported set release's promotions into the
// first environments of its pipeline.
func setEntryPromotions(ref setRef, sr SetRelease, rels []Release, who Actor, now time.Time) []Promotion {
	var ps []Promotion
	for _, env := range ref.pipeline.Firsts() {
		for _, rel := range rels {
			ps = append(ps, Promotion{
				ID: newID("prm"), ReleaseID: rel.ID, Application: rel.Application, Environment: env.Name,
				State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
				RequestedBy: who.Name, SetRelease: sr.ID, Note: "release set " + sr.Name + " reported by " + who.Name,
			})
		}
	}
	return ps
}
