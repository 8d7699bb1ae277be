package promotion

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
)

// Run is the worker: it claims due promotions from the store and writes them
// to Git, one commit per repository branch and batch, until ctx ends. Work in
// hand when ctx ends may go on for Config.ShutdownGrace (and within its
// lease); then its Git work is stopped and the promotions are handed back,
// unleased, to be retried by the next worker.
func (e *Engine) Run(ctx context.Context) {
	e.catalog.load(ctx)
	tick := time.NewTicker(e.cfg.PollInterval)
	defer tick.Stop()
	for {
		if e.catalog.stale() {
			e.catalog.load(ctx)
		}
		for e.runOnce(ctx) {
			// A full batch: there may be more due right away.
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-e.kick:
		}
		if w := e.cfg.BatchWindow; w > 0 {
			// Gather what arrives together into one commit, however the
			// work was noticed: a poll (here, or on another replica that
			// got no kick) must not take the first build of a burst alone.
			select {
			case <-ctx.Done():
				return
			case <-time.After(w):
			}
		}
	}
}

// runOnce claims and processes one batch; it reports whether the batch was full.
func (e *Engine) runOnce(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	claimed, err := e.store.ClaimDue(ctx, e.cfg.Owner, e.now().UTC(), e.cfg.Lease, e.cfg.MaxBatch)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claiming promotions", zap.Error(err))
		}
		return false
	}
	if len(claimed) == 0 {
		return false
	}
	// Work claimed is finished even if shutdown begins, within the lease
	// and the shutdown grace.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.Lease)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		select {
		case <-wctx.Done():
		case <-time.After(e.cfg.ShutdownGrace):
			e.log.Warn("shutdown grace over: handing back the work in hand")
			cancel()
		}
	})
	defer stop()
	direct, prs := e.admit(wctx, claimed)
	for _, g := range e.group(wctx, direct) {
		e.commitGroup(wctx, g)
	}
	for _, w := range prs {
		e.runPR(wctx, w)
	}
	e.broadcast()
	return len(claimed) == e.cfg.MaxBatch
}

// item is one claimed promotion with what is needed to write it.
type item struct {
	p      Promotion
	rel    Release
	app    *config.Application
	target config.Target
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

// save writes a promotion and releases the lease.
func (e *Engine) save(ctx context.Context, p Promotion) {
	p.LeaseOwner, p.LeaseUntil = "", time.Time{}
	p.UpdatedAt = e.now().UTC()
	if err := e.store.UpdatePromotion(ctx, e.cfg.Owner, p); err != nil {
		// The lease expired and another worker owns it now; it will redo the work.
		e.log.Warn("saving promotion", zap.String("promotion", p.ID), zap.Error(err))
		return
	}
	e.log.Info("promotion", zap.String("promotion", p.ID), zap.String("application", p.Application),
		zap.String("environment", p.Environment), zap.String("state", string(p.State)),
		zap.String("commit", p.CommitSHA), zap.String("reason", p.Reason))
}

// fail records a permanent failure.
func (e *Engine) fail(ctx context.Context, p Promotion, reason string) {
	p.State, p.Reason = StateFailed, reason
	p.NextAttemptAt = time.Time{}
	e.save(ctx, p)
}

// retry records a transient failure and schedules the next attempt with
// exponential backoff and jitter.
func (e *Engine) retry(ctx context.Context, p Promotion, err error) {
	p.Attempts++
	d := e.backoff(p.Attempts)
	p.NextAttemptAt = e.now().UTC().Add(d)
	p.Reason = "attempt " + strconv.Itoa(p.Attempts) + " failed: " + publicError(err) + "; retrying in " + d.Round(time.Second).String()
	e.save(ctx, p)
}

func (e *Engine) backoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < e.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, e.cfg.RetryMax)
	// ±20% jitter so that retries of many promotions spread out.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// publicError is the part of err safe to store and show.
func publicError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
