package promotion

// Batching: the worker claims many promotions at once and writes those of
// one repository branch in one commit (commitGroup). Within a batch, and
// against promotions asked for later, the newest promotion of each
// application and environment wins and the others are superseded, so a
// retried older release never overwrites a newer one.

import (
	"context"
	"fmt"

	"github.com/ferryhq/ferry/internal/config"
)

// item is one claimed promotion with what is needed to write it.
type item struct {
	p      Promotion
	rel    Release
	app    *config.Application
	target config.Target
	// unleased says the worker does not hold the promotion's lease: a
	// follower of a release set's pull request, completed by its leader.
	unleased bool
	// superseded says which newer promotion takes this one's place. It is
	// recorded only once the branch shows the promotion was not pushed
	// before (a crash between push and record): Git is the truth.
	superseded string
}

// group is the work for one repository branch.
type group struct {
	repo     *Repo
	pipeline *config.Pipeline
	branch   string
	env      map[string]config.Environment
	items    []*item
	// set, when not "", names the release set the items are: they are
	// written all together or not at all.
	set string
}

// group resolves each claimed promotion's target and groups them by
// repository and branch. Promotions that cannot be resolved fail here.
func (e *Engine) group(ctx context.Context, claimed []Promotion) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, p := range claimed {
		rel, err := e.store.GetRelease(ctx, p.ReleaseID)
		if err != nil {
			e.retry(ctx, p, err)
			continue
		}
		ref, err := e.catalog.lookup(ctx, p.Application)
		if err != nil {
			e.fail(ctx, p, "application is no longer in the pipeline: "+err.Error())
			continue
		}
		env, ok := ref.pipeline.Environment(p.Environment)
		if !ok {
			e.fail(ctx, p, "environment "+p.Environment+" is no longer in the pipeline")
			continue
		}
		superseded := ""
		if q, ok, err := e.newerPromotion(ctx, p); err != nil {
			e.retry(ctx, p, err)
			continue
		} else if ok {
			superseded = "superseded by promotion " + q.ID
			if r, err := e.store.GetRelease(ctx, q.ReleaseID); err == nil {
				superseded += " (" + r.Tag + ")"
			}
		}
		t := ref.app.TargetFor(env.Name, env.Branch)
		key := ref.repo.Name + "\x00" + t.Branch
		g := byKey[key]
		if g == nil {
			g = &group{repo: ref.repo, pipeline: ref.pipeline, branch: t.Branch, env: map[string]config.Environment{}}
			byKey[key] = g
			out = append(out, g)
		}
		g.env[env.Name] = env
		g.items = append(g.items, &item{p: p, rel: rel, app: ref.app, target: t, superseded: superseded})
	}
	for _, g := range out {
		supersede(g.items)
	}
	return out
}

// newerPromotion returns a promotion of the same application into the same
// environment that was asked for after p and has not failed: the newer one
// wins, so a retried older release never overwrites a newer one (a rollback
// is a newer promotion of an older release, and wins too).
func (e *Engine) newerPromotion(ctx context.Context, p Promotion) (Promotion, bool, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: p.Application, Environment: p.Environment, Limit: 20})
	if err != nil {
		return Promotion{}, false, fmt.Errorf("listing promotions: %w", err)
	}
	for _, q := range page.Items { // newest first
		if q.ID == p.ID || !newerPromotion(q, p) {
			return Promotion{}, false, nil
		}
		switch q.State {
		case StateFailed, StateSuperseded, StateRejected:
			continue
		}
		return q, true, nil
	}
	return Promotion{}, false, nil
}

func newerPromotion(a, b Promotion) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// supersede marks, for each application and environment, every promotion
// but the newest as superseded by it.
func supersede(items []*item) {
	newest := map[string]*item{}
	for _, it := range items {
		k := it.p.Application + "\x00" + it.p.Environment
		if cur, ok := newest[k]; !ok || newerPromotion(it.p, cur.p) {
			newest[k] = it
		}
	}
	for _, it := range items {
		n := newest[it.p.Application+"\x00"+it.p.Environment]
		if n != it && it.superseded == "" {
			it.superseded = "superseded by promotion " + n.p.ID + " (" + n.rel.Tag + ")"
		}
	}
}
