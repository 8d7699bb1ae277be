package promotion_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestWakeForSHA: an event that names only a head commit (a check or status
// on it) wakes the open pull-request promotions whose branch Ferry pushed
// at that commit, and no other, whatever branch the event names.
func TestWakeForSHA(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   promotion.Event
	}{
		{"sha only", promotion.Event{Kind: promotion.EventChecks, HeadSHA: "aaaa"}},
		{"sha on a branch not Ferry's", promotion.Event{Kind: promotion.EventChecks, HeadRef: "main", HeadSHA: "aaaa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, setup{})
			ctx := context.Background()
			r := f.report("payments", "1.5.0")
			f.eng.Applications(ctx) // loads the pipelines
			later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			open := map[string]string{"aaaa": "prm_a", "bbbb": "prm_b"}
			for sha, id := range open {
				p := promotion.Promotion{ID: id, ReleaseID: r.Release.ID, Application: "payments", Environment: "stage",
					State: promotion.StatePROpen, CommitSHA: sha, PRBranch: "ferry/payments/stage",
					NextAttemptAt: later, CreatedAt: time.Now(), UpdatedAt: time.Now()}
				if err := f.store.CreatePromotion(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.eng.WakeFor(ctx, "envs", tc.ev); err != nil {
				t.Fatal(err)
			}
			if p := f.promotion("prm_a"); !p.NextAttemptAt.Before(later) {
				t.Errorf("promotion at the event's commit not woken: next attempt %s", p.NextAttemptAt)
			}
			if p := f.promotion("prm_b"); !p.NextAttemptAt.Equal(later) {
				t.Errorf("promotion at another commit woken: next attempt %s, want %s", p.NextAttemptAt, later)
			}
		})
	}
}

// TestWakeForBranch: an event that names only a branch (a branch deleted on
// the host) wakes the open promotions that recorded that branch, whatever
// its naming scheme: a pull request's own branch, one from before branches
// were named per pull request, or a release set's.
func TestWakeForBranch(t *testing.T) {
	for _, tc := range []struct{ name, branch string }{
		{"per pull request", "ferry/payments/stage.0a1b2c3d4e5f"},
		{"from before the upgrade", "ferry/payments/stage"},
		{"a release set's", "ferry/set/shop/stage.0a1b2c3d4e5f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, setup{})
			ctx := context.Background()
			r := f.report("payments", "1.5.0")
			f.eng.Applications(ctx) // loads the pipelines
			later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			for id, branch := range map[string]string{"prm_a": tc.branch, "prm_b": "ferry/payments/stage.ffffffffffff"} {
				p := promotion.Promotion{ID: id, ReleaseID: r.Release.ID, Application: "payments", Environment: "stage",
					State: promotion.StatePROpen, CommitSHA: "aaaa", PRBranch: branch,
					NextAttemptAt: later, CreatedAt: time.Now(), UpdatedAt: time.Now()}
				if err := f.store.CreatePromotion(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.eng.WakeFor(ctx, "envs", promotion.Event{Kind: promotion.EventUpdated, HeadRef: tc.branch}); err != nil {
				t.Fatal(err)
			}
			if p := f.promotion("prm_a"); !p.NextAttemptAt.Before(later) {
				t.Errorf("promotion on branch %s not woken", tc.branch)
			}
			if p := f.promotion("prm_b"); !p.NextAttemptAt.Equal(later) {
				t.Errorf("promotion on another branch woken: next attempt %s, want %s", p.NextAttemptAt, later)
			}
		})
	}
}
