package promotion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// AppSummary names an application and its environments.
type AppSummary struct {
	Name, Image, Repository string
	Environments            []string
	// PipelineWarning says, when the repository's newest pipeline did not
	// load, which one is in use instead (PipelineStatus.Warning).
	PipelineWarning string
}

// Applications lists every application of every repository's pipeline.
func (e *Engine) Applications(ctx context.Context) []AppSummary {
	if e.catalog.stale() {
		e.catalog.load(ctx)
	}
	var out []AppSummary
	for _, ref := range e.catalog.all() {
		s := AppSummary{Name: ref.app.Name, Image: ref.app.Image, Repository: ref.repo.Name,
			PipelineWarning: e.catalog.warning(ref.repo.Name)}
		for _, env := range ref.pipeline.Environments {
			s.Environments = append(s.Environments, env.Name)
		}
		out = append(out, s)
	}
	return out
}

// AppStatus is what runs in each environment of an application.
type AppStatus struct {
	AppSummary
	Environments []EnvStatus
}

// EnvStatus is one environment's target as the repository holds it now.
type EnvStatus struct {
	Env    config.Environment
	Target config.Target
	Head   string
	// Current is what the target holds; zero when Err is set.
	Current manifest.Image
	// Release is the known release matching Current, if any.
	Release  *Release
	Err      string
	InFlight []Promotion
	// Pin is the environment's active pin, if any: automatic promotions
	// into it wait until someone unpins.
	Pin *Pin
}

// ApplicationStatus reads each environment's target from its branch head.
func (e *Engine) ApplicationStatus(ctx context.Context, name string) (AppStatus, error) {
	ref, err := e.catalog.lookup(ctx, name)
	if err != nil {
		return AppStatus{}, err
	}
	st := AppStatus{AppSummary: AppSummary{Name: ref.app.Name, Image: ref.app.Image, Repository: ref.repo.Name,
		PipelineWarning: e.catalog.warning(ref.repo.Name)}}
	snaps := map[string]gitrepo.Snapshot{}
	for _, env := range ref.pipeline.Environments {
		st.AppSummary.Environments = append(st.AppSummary.Environments, env.Name)
		t := ref.app.TargetFor(env.Name, env.Branch)
		es := EnvStatus{Env: env, Target: t}
		snap, ok := snaps[t.Branch]
		if !ok {
			snap, err = ref.repo.Git.Read(ctx, t.Branch)
			if err != nil {
				return AppStatus{}, derrors.Wrap(err, derrors.Unavailable, "git_unavailable",
					"reading branch %s of repository %s", t.Branch, ref.repo.Name)
			}
			snaps[t.Branch] = snap
		}
		es.Head = snap.Head()
		es.Current, err = readTarget(snap, ref.app, t)
		if err != nil {
			es.Err = err.Error()
		} else if es.Current.Digest != "" {
			if r, err := e.store.FindReleaseByDigest(ctx, name, es.Current.Digest); err == nil {
				es.Release = &r
			} else if !errors.Is(err, derrors.ErrNotFound) {
				return AppStatus{}, fmt.Errorf("finding release: %w", err)
			}
		}
		es.InFlight, err = e.inFlight(ctx, name, env.Name)
		if err != nil {
			return AppStatus{}, err
		}
		if pin, ok, err := e.activePin(ctx, name, env.Name); err != nil {
			return AppStatus{}, err
		} else if ok {
			es.Pin = &pin
		}
		st.Environments = append(st.Environments, es)
	}
	return st, nil
}

func readTarget(s gitrepo.Snapshot, a *config.Application, t config.Target) (manifest.Image, error) {
	if s.Head() == "" {
		return manifest.Image{}, fmt.Errorf("branch %s does not exist", t.Branch)
	}
	b, err := s.ReadFile(t.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return manifest.Image{}, fmt.Errorf("%s does not exist on branch %s", t.Path, t.Branch)
	}
	if err != nil {
		return manifest.Image{}, err
	}
	return manifest.Get(t.Path, b, manifestTarget(a, t))
}

// inFlight returns the promotions of app into env not yet finished.
func (e *Engine) inFlight(ctx context.Context, app, env string) ([]Promotion, error) {
	out := []Promotion{}
	for _, st := range []State{StatePending, StateWaiting, StatePROpen} {
		page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: app, Environment: env, State: st, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("listing promotions: %w", err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// Release returns a release by id.
func (e *Engine) Release(ctx context.Context, id string) (Release, error) {
	return e.store.GetRelease(ctx, id)
}

// Releases lists releases.
func (e *Engine) Releases(ctx context.Context, f ReleaseFilter) (Page[Release], error) {
	return e.store.ListReleases(ctx, f)
}

// Promotion returns a promotion by id.
func (e *Engine) Promotion(ctx context.Context, id string) (Promotion, error) {
	return e.store.GetPromotion(ctx, id)
}

// Promotions lists promotions.
func (e *Engine) Promotions(ctx context.Context, f PromotionFilter) (Page[Promotion], error) {
	return e.store.ListPromotions(ctx, f)
}

// Transitions returns a promotion's history, oldest first.
func (e *Engine) Transitions(ctx context.Context, id string) ([]Transition, error) {
	return e.store.Transitions(ctx, id)
}
