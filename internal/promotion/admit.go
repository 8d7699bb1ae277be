package promotion

import (
	"context"
	"time"

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
		rel, err := e.store.GetRelease(ctx, p.ReleaseID)
		if err != nil {
			e.retry(ctx, p, err)
			continue
		}
		d, err := decide(ctx, e.admission, e.gateInput(p, rel, env))
		if err != nil {
			e.retry(ctx, p, err)
			continue
		}
		if d.Fail {
			e.failGate(ctx, p, rel, env, d)
			continue
		}
		if !d.Open {
			if p.Reclaimed {
				// The holder that died may have pushed it: its try counts,
				// so that the claim after the gate still looks for that
				// push (Reclaimed does not outlive this claim).
				p.Attempts++
			}
			p.State, p.Reason, p.NextAttemptAt = StateWaiting, d.Reason, d.Until
			if d.Until.IsZero() {
				p.NextAttemptAt = e.now().UTC().Add(heldRecheck)
			}
			e.save(ctx, p)
			continue
		}
		if p.State == StateWaiting {
			p.State = StatePending
		}
		if d.Note != "" {
			p.Note = d.Note // recorded with the promotion's next transition
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

// heldRecheck is how soon a promotion held until something changes (a
// pin) is decided again unprompted. What changes it wakes it at once
// (Unpin); this is the safety net for a wake-up lost in a crash, and long
// enough that held promotions cost nothing while they wait.
const heldRecheck = 10 * time.Minute

// gateInput is what the gates look at for p, before its pull request.
func (e *Engine) gateInput(p Promotion, rel Release, env config.Environment) GateInput {
	return GateInput{Promotion: p, Release: rel, Env: env, Now: e.now().UTC(), CompletedAt: e.completedAt}
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

// runPR does one piece of pull-request work. An open promotion without a
// pull-request number was opened by a built-in provider that kept none
// (before store migration 0004): its pull request is ensured again, which
// records it and gives it its number.
func (e *Engine) runPR(ctx context.Context, w prWork) {
	if w.it.p.State == StatePROpen && w.it.p.PRNumber > 0 {
		e.reconcilePR(ctx, w.it, w.repo, w.env)
		return
	}
	e.openPR(ctx, w.it, w.repo, w.env)
}
