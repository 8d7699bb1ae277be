package promotion

import (
	"context"
	"testing"
	"time"
)

// fixedGate decides the same whatever it is asked, or opens from a time on.
type fixedGate struct {
	name     string
	holdTill time.Time // holds while Now is before it
	forGood  bool      // holds with no Until
	failAt   time.Time // fails once Now reaches it, holds until then (a timeout)
}

func (g fixedGate) Name() string { return g.name }

func (g fixedGate) Evaluate(_ context.Context, in GateInput) (Decision, error) {
	switch {
	case g.forGood:
		return Decision{Reason: g.name}, nil
	case !g.failAt.IsZero() && !in.Now.Before(g.failAt):
		return Decision{Fail: true, Reason: g.name + " failed"}, nil
	case !g.failAt.IsZero():
		return hold(g.name, g.failAt), nil
	case in.Now.Before(g.holdTill):
		return hold(g.name, g.holdTill), nil
	}
	return Decision{Open: true}, nil
}

// TestDecide: the gates are asked in order; one that opens by itself is
// followed by those closed at that time, and one that holds for good (an
// approval) ends the look.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	for _, tc := range []struct {
		name   string
		gates  []Gate
		open   bool
		reason string
		until  time.Time
		fail   bool
	}{
		{name: "no gates", open: true},
		{name: "all open", gates: []Gate{fixedGate{name: "a"}, fixedGate{name: "b"}}, open: true},
		{name: "one holds", gates: []Gate{fixedGate{name: "a"}, fixedGate{name: "b", holdTill: at(5)}}, reason: "b", until: at(5)},
		{name: "the second begins where the first ends", gates: []Gate{fixedGate{name: "soak", holdTill: at(5)}, fixedGate{name: "freeze", holdTill: at(60)}},
			reason: "freeze", until: at(60)},
		{name: "the later gate asked again from the earlier's end", gates: []Gate{fixedGate{name: "freeze", holdTill: at(60)}, fixedGate{name: "soak", holdTill: at(5)}},
			reason: "freeze", until: at(60)},
		{name: "held for good", gates: []Gate{fixedGate{name: "soak", holdTill: at(5)}, fixedGate{name: "approvals", forGood: true}}, reason: "approvals"},
		// A gate that would fail at a time the look moved to (the health
		// gate's timeout) has not failed yet: the promotion waits until
		// then, and fails when it is asked at that time.
		{name: "a failure ahead is a wait", gates: []Gate{fixedGate{name: "health", failAt: at(10)}}, reason: "health", until: at(10)},
		{name: "a failure after another gate's wait is a wait", gates: []Gate{fixedGate{name: "soak", holdTill: at(5)}, fixedGate{name: "health", failAt: at(5)}},
			reason: "soak", until: at(5)},
		{name: "a failure now fails", gates: []Gate{fixedGate{name: "soak", holdTill: at(5)}, fixedGate{name: "health", failAt: now}}, reason: "health failed", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := decide(context.Background(), tc.gates, GateInput{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open || d.Reason != tc.reason || !d.Until.Equal(tc.until) || d.Fail != tc.fail {
				t.Errorf("decide = %+v, want open %v fail %v %q until %s", d, tc.open, tc.fail, tc.reason, tc.until)
			}
			if tc.fail && d.Gate != "health" {
				t.Errorf("failed by %q, want the gate named health", d.Gate)
			}
		})
	}
}
