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
