package promotion

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// TestGateChainedFreezes: a freeze that begins where another ends holds the
// promotion until the last one ends, whatever their order in ferry.yaml.
func TestGateChainedFreezes(t *testing.T) {
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // a Saturday
	weekend := config.Freeze{From: "Fri 16:00", To: "Mon 08:00"}
	monday := config.Freeze{From: "Mon 08:00", To: "Mon 12:00"}
	tuesday := config.Freeze{From: "Tue 00:00", To: "Tue 06:00"}
	always := []config.Freeze{{From: "Mon 00:00", To: "Thu 00:00"}, {From: "Wed 00:00", To: "Tue 00:00"}}
	for _, tc := range []struct {
		name    string
		freezes []config.Freeze
		want    time.Time
	}{
		{"in order", []config.Freeze{weekend, monday}, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"reversed", []config.Freeze{monday, weekend}, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"gap after", []config.Freeze{tuesday, monday, weekend}, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"only the first", []config.Freeze{tuesday, weekend}, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		// Always frozen: the look ends (the promotion looks again then).
		{"whole week", always, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{now: func() time.Time { return sat }}
			env := config.Environment{Name: "prod", Gates: config.Gates{Freeze: tc.freezes}}
			reason, until, err := e.gate(context.Background(), Promotion{}, env)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.IsZero() {
				if !until.After(sat) || reason == "" {
					t.Errorf("gate = %q until %s, want frozen", reason, until)
				}
				return
			}
			if !until.Equal(tc.want) || !strings.Contains(reason, tc.want.Format(time.RFC3339)) {
				t.Errorf("gate = %q until %s, want until %s", reason, until, tc.want)
			}
		})
	}
}
