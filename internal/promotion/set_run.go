package promotion

// A release set moves as one: the promotions of one set release into one
// environment are claimed together, pass the gates together (the set waits
// while any member's gate holds, and fails when any member's gate refuses),
// and are written as one commit (commitGroup with group.set) or one pull
// request (set_pr.go). One member's refused edit fails them all, with
// every reason, and nothing is pushed.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
)

// handBackDelay is how soon a set's promotions claimed without all their
// siblings (another worker holds some, or not all were due) are tried
// again: long enough for the other holder to let go.
const handBackDelay = 2 * time.Second

// splitSets takes the promotions of release sets out of claimed, grouped
// by set release and environment, in claim order.
func splitSets(claimed []Promotion) (singles []Promotion, sets [][]Promotion) {
	at := map[string]int{}
	for _, p := range claimed {
		if p.SetRelease == "" {
			singles = append(singles, p)
			continue
		}
		k := p.SetRelease + "\x00" + p.Environment
		i, ok := at[k]
		if !ok {
			i = len(sets)
			at[k] = i
			sets = append(sets, nil)
		}
		sets[i] = append(sets[i], p)
	}
	return singles, sets
}

// setWork is what a set's promotions into one environment need.
type setWork struct {
	ref   setRef
	env   config.Environment
	sr    SetRelease
	items []*item // in the set release's order
}

// runSet moves one set release into one environment.
func (e *Engine) runSet(ctx context.Context, ps []Promotion) {
	w, ok := e.setWorkOf(ctx, ps)
	if !ok {
		return
	}
	if slices.ContainsFunc(ps, func(p Promotion) bool { return p.State == StatePROpen }) {
		e.runSetPR(ctx, w)
		return
	}
	members, err := e.setPromotions(ctx, w.sr.ID, w.env.Name)
	if err != nil {
		e.retrySet(ctx, w.items, err)
		return
	}
	var missing []string
	for _, q := range members {
		if !q.State.Terminal() && !slices.ContainsFunc(ps, func(p Promotion) bool { return p.ID == q.ID }) {
			missing = append(missing, q.ID)
		}
	}
	if len(missing) > 0 {
		e.handBack(ctx, w.items, missing)
		return
	}
	var fails, holds []string
	var until time.Time
	for _, it := range w.items {
		d, err := decide(ctx, e.admission, e.gateInput(it.p, it.rel, w.env))
		if err != nil {
			e.retrySet(ctx, w.items, err)
			return
		}
		switch {
		case d.Fail:
			fails = append(fails, it.p.Application+": "+d.Reason)
		case !d.Open:
			holds = append(holds, it.p.Application+": "+d.Reason)
			if d.Until.After(until) {
				until = d.Until
			}
		case d.Note != "":
			it.p.Note = d.Note
		}
	}
	if len(fails) > 0 {
		e.failSet(ctx, w.items, "release set "+w.sr.Name+" refused by a gate: "+strings.Join(fails, "; "))
		return
	}
	if len(holds) > 0 {
		for _, it := range w.items {
			p := it.p
			p.State, p.Reason, p.NextAttemptAt = StateWaiting, "release set "+w.sr.Name+" waits for "+strings.Join(holds, "; "), until
			e.save(ctx, p)
		}
		return
	}
	for _, it := range w.items {
		if it.p.State == StateWaiting {
			it.p.State = StatePending
		}
	}
	if w.env.Promotion == config.ModePullRequest {
		e.openSetPR(ctx, w)
		return
	}
	e.commitGroup(ctx, &group{repo: w.ref.repo, pipeline: w.ref.pipeline, branch: w.items[0].target.Branch,
		env: map[string]config.Environment{w.env.Name: w.env}, items: w.items, set: w.sr.Name})
}

// setWorkOf loads what the claimed promotions of one set release need; it
// fails or retries them all when something is missing.
func (e *Engine) setWorkOf(ctx context.Context, ps []Promotion) (setWork, bool) {
	bare := make([]*item, len(ps))
	for i, p := range ps {
		bare[i] = &item{p: p}
	}
	sr, err := e.store.GetSetRelease(ctx, ps[0].SetRelease)
	if err != nil {
		e.retrySet(ctx, bare, err)
		return setWork{}, false
	}
	ref, err := e.lookupSet(ctx, sr.Name)
	if err != nil {
		e.failSet(ctx, bare, "release set "+sr.Name+" is no longer in the pipeline")
		return setWork{}, false
	}
	env, ok := ref.pipeline.Environment(ps[0].Environment)
	if !ok {
		e.failSet(ctx, bare, "environment "+ps[0].Environment+" is no longer in the pipeline")
		return setWork{}, false
	}
	order := func(app string) int { return slices.Index(sr.Applications, app) }
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b Promotion) int { return order(a.Application) - order(b.Application) })
	w := setWork{ref: ref, env: env, sr: sr}
	for _, p := range ps {
		it, err := e.setItem(ctx, ref, env, p)
		if err != nil {
			e.failSet(ctx, bare, "release set "+sr.Name+": "+err.Error())
			return setWork{}, false
		}
		w.items = append(w.items, it)
	}
	return w, true
}

// setItem loads one member promotion's release and target.
func (e *Engine) setItem(ctx context.Context, ref setRef, env config.Environment, p Promotion) (*item, error) {
	rel, err := e.store.GetRelease(ctx, p.ReleaseID)
	if err != nil {
		return nil, err
	}
	app, ok := ref.pipeline.Application(p.Application)
	if !ok {
		return nil, fmt.Errorf("application %s is no longer in the pipeline", p.Application)
	}
	return &item{p: p, rel: rel, app: app, target: app.TargetFor(env.Name, env.Branch)}, nil
}

// setPromotions returns the promotions of a set release into env.
func (e *Engine) setPromotions(ctx context.Context, id, env string) ([]Promotion, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{SetRelease: id, Environment: env, Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("listing the promotions of set release %s: %w", id, err)
	}
	return page.Items, nil
}

// setRefused reports whether a member of a set failed in this attempt; if
// so every member that was not pushed before fails with every reason.
func setRefused(set string, items []*item, outcomes map[*item]*outcome) bool {
	var reasons []string
	for _, it := range items {
		if o := outcomes[it]; o != nil && o.failure != "" {
			reasons = append(reasons, it.p.Application+": "+o.failure)
		}
	}
	if len(reasons) == 0 {
		return false
	}
	why := "release set " + set + " not promoted (nothing pushed): " + strings.Join(reasons, "; ")
	for _, it := range items {
		if o := outcomes[it]; o != nil && o.done == "" {
			o.failure, o.changed = why, false
		}
	}
	return true
}

// failSet fails every member with reason.
func (e *Engine) failSet(ctx context.Context, items []*item, reason string) {
	for _, it := range items {
		e.fail(ctx, it.p, reason)
	}
}

// retrySet schedules every member's next attempt together, so that they
// stay due together.
func (e *Engine) retrySet(ctx context.Context, items []*item, err error) {
	if permanent(err) {
		e.failSet(ctx, items, publicError(err))
		return
	}
	var next time.Time
	for _, it := range items {
		p := it.p
		p.Attempts++
		if next.IsZero() {
			next = e.now().UTC().Add(e.backoff(p.Attempts))
		}
		p.NextAttemptAt = next
		p.Reason = "attempt failed: " + publicError(err) + "; the release set retries together"
		e.save(ctx, p)
	}
}

// handBack releases the claimed members of a set whose other members
// (missing) this worker does not hold, and makes them all due at the same
// moment, to be claimed again together.
func (e *Engine) handBack(ctx context.Context, items []*item, missing []string) {
	next := e.now().UTC().Add(handBackDelay)
	for _, id := range missing {
		if err := e.store.Wake(ctx, id, next); err != nil {
			e.log.Warn("aligning a release set's promotions", zap.String("promotion", id), zap.Error(err))
		}
	}
	for _, it := range items {
		p := it.p
		p.NextAttemptAt = next
		e.save(ctx, p)
	}
}
