package promotion

import (
	"context"
	"fmt"
)

// pinGate holds promotions into a pinned environment and keeps releases a
// pin skipped from going on past it. A pin (see Pin) holds every
// promotion of another release than the pinned one, until someone unpins
// or promotes explicitly (which moves the pin to that release, so the
// explicit promotion passes). Downstream, the pinned release is what runs
// in the pinned environment: a promotion from there of any other release
// fails, unless it was forced past the from chain.
type pinGate struct {
	// pin returns the active pin of app in env, if any.
	pin func(ctx context.Context, app, env string) (Pin, bool, error)
}

func (pinGate) Name() string { return "pin" }

// Evaluate holds without an Until: only Unpin (which wakes the promotions
// held) or an explicit promotion changes a pin.
func (g pinGate) Evaluate(ctx context.Context, in GateInput) (Decision, error) {
	p := in.Promotion
	pin, ok, err := g.pin(ctx, p.Application, in.Env.Name)
	if err != nil {
		return Decision{}, err
	}
	if ok && pin.ReleaseID != p.ReleaseID && !in.Explicit {
		return Decision{Reason: pin.Held()}, nil
	}
	if in.Env.From == "" || p.Forced {
		return Decision{Open: true}, nil
	}
	up, ok, err := g.pin(ctx, p.Application, in.Env.From)
	if err != nil {
		return Decision{}, err
	}
	if ok && up.ReleaseID != p.ReleaseID {
		return Decision{Fail: true, Reason: fmt.Sprintf("%s is pinned at %s (%s): %s no longer runs there and does not go on to %s",
			in.Env.From, up.ReleaseTag, up.Held(), in.Release.Tag, in.Env.Name)}, nil
	}
	return Decision{Open: true}, nil
}
