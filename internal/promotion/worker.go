package promotion

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
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
		e.releaseOnPipelineChange(ctx)
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
	singles, sets := splitSets(claimed)
	direct, prs := e.admit(wctx, singles)
	// Each repository branch is written on its own: a batch spanning
	// several repositories writes them at once (they share nothing; groups
	// of one repository wait on its lock in turn).
	var wg sync.WaitGroup
	for _, g := range e.group(wctx, direct) {
		wg.Go(func() { e.commitGroup(wctx, g) })
	}
	wg.Wait()
	for _, w := range prs {
		e.runPR(wctx, w)
	}
	for _, ps := range sets {
		e.runSet(wctx, ps)
	}
	e.broadcast()
	return len(claimed) == e.cfg.MaxBatch
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
// exponential backoff and jitter. A permanent error (see permanent) fails the
// promotion with its reason instead: retrying it would only repeat it.
func (e *Engine) retry(ctx context.Context, p Promotion, err error) {
	if permanent(err) {
		e.fail(ctx, p, publicError(err))
		return
	}
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

// permanent reports whether err can never go away by itself: malformed
// input (derrors.Invalid), such as a branch name Git refuses. Everything
// else (a Git host or store that is down, a branch that moved, a registry
// that is slow) may pass and is retried.
func permanent(err error) bool {
	return derrors.KindOf(err) == derrors.Invalid
}

// publicError is the part of err safe to store and show.
func publicError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
