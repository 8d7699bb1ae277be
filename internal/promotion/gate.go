package promotion

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// Gate is one condition a promotion must meet. Admission gates (soak,
// freeze) hold a promotion before its Git work starts; merge gates
// (approvals) hold an open pull request before Ferry merges it. Each gate is
// one file, gate_<name>.go, with its own table-driven test; the engine lists
// the gates it runs in New, so a new gate is one file and one line there.
type Gate interface {
	// Name names the gate in reasons and logs, e.g. "soak".
	Name() string
	// Evaluate decides whether the gate lets the promotion go on at in.Now.
	Evaluate(ctx context.Context, in GateInput) (Decision, error)
}

// GateInput is everything a gate may look at.
type GateInput struct {
	Promotion Promotion
	Release   Release
	Env       config.Environment
	// PR is the promotion's pull request as its host reports it; nil
	// before one is open (admission gates).
	PR *PR
	// Approvals are the PR's approvals as its host reports them, with
	// whether the host counts each (an approval of an older head does not).
	Approvals []Approval
	// Members resolves the teams of the environment's approvers on the
	// PR's host; nil when its provider has no teams.
	Members Members
	// ReviewedInFerry is true when the PR is approved through Ferry's API
	// and merged by Ferry once approved (the built-in provider).
	ReviewedInFerry bool
	// Now is the time the gate decides for.
	Now time.Time
	// Explicit is true when previewing a person's promotion, which moves
	// the environment's pin to its release when recorded: the pin gate
	// does not hold it.
	Explicit bool
	// CompletedAt returns when the release completed (committed or merged)
	// in environment env, if it has.
	CompletedAt func(ctx context.Context, releaseID, env string) (time.Time, bool, error)
}

// Decision is what a gate decided.
type Decision struct {
	// Open lets the promotion go on; otherwise Reason says what it waits
	// for and Until when the gate opens by itself (zero: when something
	// changes, such as an approval).
	Open   bool
	Reason string
	Until  time.Time
	// Approvals are the approvals the gate looked at, each saying whether
	// it counted and why not (approval gates).
	Approvals []Approval
	// Fail means the promotion can never pass: it fails with Reason rather
	// than wait (an image without the signature the environment requires).
	Fail bool
	// Note is what an open gate found that history should show (who signed
	// the image); it is recorded with the promotion's next transition.
	Note string
	// Gate names the gate that decided a promotion held or failed; decide
	// sets it. Only the health gate's failure rolls back (failGate).
	Gate string
}

// hold is the decision of a gate that stays closed until when.
func hold(reason string, until time.Time) Decision {
	return Decision{Reason: reason, Until: until}
}

// decide runs gates in order and returns the first decision that holds the
// promotion for good (no Until), or the one that holds it longest. A gate
// that opens by itself at Until may be followed by another that is closed
// then (a freeze that begins where the soak ends): the gates are asked
// again at that time until none moves it further.
func decide(ctx context.Context, gates []Gate, in GateInput) (Decision, error) {
	open := Decision{Open: true}
	held := open
	start := in.Now
	var notes []string
	// Each pass moves the time forward to some gate's Until; passes beyond
	// the number of gates would mean gates that always hold each other.
	for pass := 0; pass <= len(gates); pass++ {
		moved := false
		for _, g := range gates {
			d, err := g.Evaluate(ctx, in)
			if err != nil {
				return Decision{}, err
			}
			if d.Open {
				if d.Note != "" && pass == 0 {
					notes = append(notes, d.Note)
				}
				continue
			}
			if d.Fail && in.Now.After(start) {
				// Failing at a time the look moved to (the health gate's
				// timeout) is no failure yet: unless it fails now too,
				// the promotion waits, and fails when asked at that time.
				now := in
				now.Now = start
				d0, err := g.Evaluate(ctx, now)
				if err != nil {
					return Decision{}, err
				}
				if !d0.Fail {
					return held, nil
				}
				d = d0
			}
			d.Gate = g.Name()
			if d.Fail || d.Until.IsZero() {
				return d, nil
			}
			held = d
			if d.Until.After(in.Now) {
				in.Now, moved = d.Until, true
			}
		}
		if !moved {
			break
		}
	}
	if held.Open {
		held.Note = strings.Join(notes, "; ")
	}
	return held, nil
}

// completedAt returns when the release completed in env (committed or
// merged there), if it has: GateInput.CompletedAt, and the from check of
// a manual promotion.
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
