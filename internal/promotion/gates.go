package promotion

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// gate reports whether p must wait before its Git work starts, why, and
// until when: the release's soak time in the previous environment, and the
// environment's freeze windows. Approvals are checked at merge time.
func (e *Engine) gate(ctx context.Context, p Promotion, env config.Environment) (reason string, until time.Time, err error) {
	now := e.now().UTC()
	if soak := env.Gates.Soak.D(); soak > 0 && env.From != "" {
		done, ok, err := e.completedAt(ctx, p.ReleaseID, env.From)
		if err != nil {
			return "", time.Time{}, err
		}
		if ok && now.Before(done.Add(soak)) {
			until = done.Add(soak)
			reason = fmt.Sprintf("soaking in %s for %s: proceeds at %s", env.From, soak, until.Format(time.RFC3339))
		}
	}
	// A freeze may begin where another (or the soak) ends, whatever their
	// order in the file: look again from each end until none holds it. A
	// chain of windows visits each at most once a week, so len passes
	// suffice; windows that cover the whole week would chain for ever.
	freezes := env.Gates.Freeze
	for pass, moved := 0, true; moved && pass < len(freezes); pass++ {
		moved = false
		for _, f := range freezes {
			at := now
			if until.After(at) {
				at = until
			}
			if end, frozen := f.Until(at); frozen {
				until, moved = end.UTC(), true
				reason = fmt.Sprintf("%s is frozen (%s): proceeds at %s", env.Name, f, until.Format(time.RFC3339))
			}
		}
	}
	return reason, until, nil
}

// completedAt returns when the release completed in env (committed or
// merged there), if it has.
func (e *Engine) completedAt(ctx context.Context, releaseID, env string) (time.Time, bool, error) {
	f := PromotionFilter{ReleaseID: releaseID, Environment: env, Limit: 50}
	page, err := e.store.ListPromotions(ctx, f)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("listing promotions of %s: %w", releaseID, err)
	}
	for _, q := range page.Items {
		if q.State == StateCommitted || q.State == StateMerged {
			return q.UpdatedAt, true, nil
		}
	}
	return time.Time{}, false, nil
}
