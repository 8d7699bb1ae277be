package promotion

import (
	"context"
	"fmt"
	"time"
)

// freezeGate holds a promotion during the environment's freeze windows.
type freezeGate struct{}

func (freezeGate) Name() string { return "freeze" }

// Evaluate holds the promotion until the last of the windows that chain
// from now ends: a freeze may begin where another ends, whatever their
// order in the file, so it looks again from each end until none holds. A
// chain of windows visits each at most once a week, so len passes suffice;
// windows that cover the whole week would chain for ever.
func (freezeGate) Evaluate(_ context.Context, in GateInput) (Decision, error) {
	freezes := in.Env.Gates.Freeze
	d := Decision{Open: true}
	at := in.Now
	for pass, moved := 0, true; moved && pass < len(freezes); pass++ {
		moved = false
		for _, f := range freezes {
			if end, frozen := f.Until(at); frozen {
				at, moved = end.UTC(), true
				d = hold(fmt.Sprintf("%s is frozen (%s): proceeds at %s", in.Env.Name, f, at.Format(time.RFC3339)), at)
			}
		}
	}
	return d, nil
}
