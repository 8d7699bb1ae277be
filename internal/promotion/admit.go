package promotion

import (
	"context"

	"github.com/ferryhq/ferry/internal/config"
)

// prWork is a claimed promotion of a pull-request environment: to open or
// update its pull request, or (open already) to reconcile it with its host.
type prWork struct {
	it   *item
	repo *Repo
	env  config.Environment
}

// admit holds back claimed promotions whose gates are closed (waiting, with
// the reason and the time they open), takes out the pull-request work, and
// returns the promotions to commit directly.
func (e *Engine) admit(ctx context.Context, claimed []Promotion) (direct []Promotion, prs []prWork) {
	for _, p := range claimed {
		ref, err := e.catalog.lookup(ctx, p.Application)
		if err != nil {
			direct = append(direct, p) // group() records why it cannot proceed
			continue
		}
		env, ok := ref.pipeline.Environment(p.Environment)
		if !ok {
			direct = append(direct, p)
			continue
		}
		if p.State == StatePROpen {
			if it, ok := e.prItem(ctx, p, ref, env); ok {
				prs = append(prs, prWork{it: it, repo: ref.repo, env: env})
			}
			continue
		}
		reason, until, err := e.gate(ctx, p, env)
		if err != nil {
			e.retry(ctx, p, err)
			continue
		}
		if reason != "" {
			if p.Reclaimed {
				// The holder that died may have pushed it: its try counts,
				// so that the claim after the gate still looks for that
				// push (Reclaimed does not outlive this claim).
				p.Attempts++
			}
			p.State, p.Reason, p.NextAttemptAt = StateWaiting, reason, until
			e.save(ctx, p)
			continue
		}
		if p.State == StateWaiting {
			p.State = StatePending
		}
		if env.Promotion != config.ModePullRequest {
			direct = append(direct, p)
			continue
		}
		if q, newer, err := e.newerPromotion(ctx, p); err != nil {
			e.retry(ctx, p, err)
			continue
		} else if newer {
			p.State, p.Reason = StateSuperseded, "superseded by promotion "+q.ID
			e.save(ctx, p)
			continue
		}
		if it, ok := e.prItem(ctx, p, ref, env); ok {
			prs = append(prs, prWork{it: it, repo: ref.repo, env: env})
		}
	}
	return direct, prs
}

// prItem loads what a pull-request promotion needs.
func (e *Engine) prItem(ctx context.Context, p Promotion, ref appRef, env config.Environment) (*item, bool) {
	rel, err := e.store.GetRelease(ctx, p.ReleaseID)
	if err != nil {
		e.retry(ctx, p, err)
		return nil, false
	}
	return &item{p: p, rel: rel, app: ref.app, target: ref.app.TargetFor(env.Name, env.Branch)}, true
}

// runPR does one piece of pull-request work.
func (e *Engine) runPR(ctx context.Context, w prWork) {
	if w.it.p.State == StatePROpen {
		e.reconcilePR(ctx, w.it, w.repo, w.env)
		return
	}
	e.openPR(ctx, w.it, w.repo, w.env)
}
