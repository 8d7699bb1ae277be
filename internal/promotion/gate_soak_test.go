package promotion

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// TestSoakGate: a promotion from an environment with a soak time waits
// until the release has been there that long.
func TestSoakGate(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	soak := config.Environment{Name: "prod", From: "stage", Gates: config.Gates{Soak: config.Duration(10 * time.Minute)}}
	for _, tc := range []struct {
		name   string
		env    config.Environment
		done   time.Duration // before now; <0: not completed in stage
		err    error
		open   bool
		until  time.Time
		reason string
	}{
		{name: "no soak", env: config.Environment{Name: "prod", From: "stage"}, open: true},
		{name: "first environment", env: config.Environment{Name: "dev", Gates: soak.Gates}, open: true},
		{name: "not in stage yet", env: soak, done: -1, open: true},
		{name: "soaking", env: soak, done: 4 * time.Minute, until: now.Add(6 * time.Minute),
			reason: "soaking in stage for 10m0s: proceeds at 2026-11-25T12:06:00Z"},
		{name: "soaked exactly", env: soak, done: 10 * time.Minute, open: true},
		{name: "store down", env: soak, err: errors.New("store down")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := GateInput{Promotion: Promotion{ReleaseID: "rel_1"}, Env: tc.env, Now: now,
				CompletedAt: func(_ context.Context, rel, env string) (time.Time, bool, error) {
					if rel != "rel_1" || env != "stage" {
						t.Errorf("CompletedAt(%s, %s), want rel_1 in stage", rel, env)
					}
					return now.Add(-tc.done), tc.done >= 0, tc.err
				}}
			d, err := soakGate{}.Evaluate(context.Background(), in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("soak error = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open || !d.Until.Equal(tc.until) || d.Reason != tc.reason {
				t.Errorf("soak = %+v, want open %v until %s %q", d, tc.open, tc.until, tc.reason)
			}
		})
	}
}
