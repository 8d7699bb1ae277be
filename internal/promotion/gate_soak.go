package promotion

import (
	"context"
	"fmt"
	"time"
)

// soakGate holds a promotion until the release has spent the environment's
// soak time in the environment it is promoted from.
type soakGate struct{}

func (soakGate) Name() string { return "soak" }

func (soakGate) Evaluate(ctx context.Context, in GateInput) (Decision, error) {
	soak, from := in.Env.Gates.Soak.D(), in.Env.From
	if soak <= 0 || from == "" {
		return Decision{Open: true}, nil
	}
	done, ok, err := in.CompletedAt(ctx, in.Promotion.ReleaseID, from)
	if err != nil {
		return Decision{}, err
	}
	if !ok || !in.Now.Before(done.Add(soak)) {
		return Decision{Open: true}, nil
	}
	until := done.Add(soak)
	return hold(fmt.Sprintf("soaking in %s for %s: proceeds at %s", from, soak, until.Format(time.RFC3339)), until), nil
}
