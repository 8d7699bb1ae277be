package promotion

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// TestFreezeGate: a promotion in a freeze waits until it ends; a freeze
// that begins where another ends holds it until the last one ends,
// whatever their order in ferry.yaml.
func TestFreezeGate(t *testing.T) {
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // a Saturday
	weekend := config.Freeze{From: "Fri 16:00", To: "Mon 08:00"}
	monday := config.Freeze{From: "Mon 08:00", To: "Mon 12:00"}
	tuesday := config.Freeze{From: "Tue 00:00", To: "Tue 06:00"}
	always := []config.Freeze{{From: "Mon 00:00", To: "Thu 00:00"}, {From: "Wed 00:00", To: "Tue 00:00"}}
	for _, tc := range []struct {
		name    string
		freezes []config.Freeze
		open    bool
		want    time.Time // zero and not open: frozen until some time after now
	}{
		{name: "no freeze", open: true},
		{name: "outside the window", freezes: []config.Freeze{tuesday}, open: true},
		{name: "in order", freezes: []config.Freeze{weekend, monday}, want: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{name: "reversed", freezes: []config.Freeze{monday, weekend}, want: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{name: "gap after", freezes: []config.Freeze{tuesday, monday, weekend}, want: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{name: "only the first", freezes: []config.Freeze{tuesday, weekend}, want: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		// Always frozen: the look ends (the promotion looks again then).
		{name: "whole week", freezes: always},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := GateInput{Env: config.Environment{Name: "prod", Gates: config.Gates{Freeze: tc.freezes}}, Now: sat}
			d, err := freezeGate{}.Evaluate(context.Background(), in)
			switch {
			case err != nil:
				t.Fatal(err)
			case tc.open:
				if !d.Open {
					t.Errorf("freeze = %+v, want open", d)
				}
			case tc.want.IsZero():
				if d.Open || !d.Until.After(sat) || d.Reason == "" {
					t.Errorf("freeze = %+v, want frozen", d)
				}
			case d.Open || !d.Until.Equal(tc.want) || !strings.Contains(d.Reason, "prod is frozen") ||
				!strings.Contains(d.Reason, tc.want.Format(time.RFC3339)):
				t.Errorf("freeze = %+v, want held until %s", d, tc.want)
			}
		})
	}
}
