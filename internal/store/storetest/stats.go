package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

func testPromotionStats(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	now := at(100)

	t.Run("an empty store has an empty queue", func(t *testing.T) {
		t.Parallel()
		st, err := open(t).PromotionStats(ctx, now)
		if err != nil {
			t.Fatalf("PromotionStats() = %v", err)
		}
		if len(st.Counts) != 0 || st.Due != 0 || !st.OldestDueSince.IsZero() || len(st.InStateSince) != 0 {
			t.Errorf("PromotionStats() = %+v, want all empty", st)
		}
	})

	t.Run("counts by state and environment, the due queue and time in state", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-1", "payments", "v1", at(0))
		p := func(id, env string, st promotion.State, c int, change func(p *promotion.Promotion)) promotion.Promotion {
			p := prom(id, r, env, st, at(c))
			if change != nil {
				change(&p)
			}
			return p
		}
		mustCreateRelease(t, s, r,
			// The head of the queue in claim order (created first) became
			// due at 30, after it was created.
			p("prm-head", "dev", promotion.StatePending, 1, func(p *promotion.Promotion) { p.NextAttemptAt = at(30) }),
			p("prm-due", "dev", promotion.StatePending, 2, nil),
			p("prm-leased", "stage", promotion.StatePending, 3, func(p *promotion.Promotion) {
				p.LeaseOwner, p.LeaseUntil = "worker-x", now.Add(time.Second)
			}),
			p("prm-later", "prod", promotion.StateWaiting, 4, func(p *promotion.Promotion) { p.NextAttemptAt = now.Add(time.Second) }),
			p("prm-done", "dev", promotion.StateCommitted, 5, nil),
			p("prm-failed", "dev", promotion.StateFailed, 6, nil),
		)
		st, err := s.PromotionStats(ctx, now)
		if err != nil {
			t.Fatalf("PromotionStats() = %v", err)
		}
		sort.Slice(st.Counts, func(i, j int) bool {
			a, b := st.Counts[i], st.Counts[j]
			return a.State < b.State || a.State == b.State && a.Environment < b.Environment
		})
		equal(t, "counts", st.Counts, []store.StateCount{
			{State: promotion.StateCommitted, Environment: "dev", Count: 1},
			{State: promotion.StateFailed, Environment: "dev", Count: 1},
			{State: promotion.StatePending, Environment: "dev", Count: 2},
			{State: promotion.StatePending, Environment: "stage", Count: 1},
			{State: promotion.StateWaiting, Environment: "prod", Count: 1},
		})
		if st.Due != 2 {
			t.Errorf("Due = %d, want 2 (prm-head, prm-due)", st.Due)
		}
		if want := store.Time(at(30)); !st.OldestDueSince.Equal(want) {
			t.Errorf("OldestDueSince = %v, want %v", st.OldestDueSince, want)
		}
		equal(t, "in state since", st.InStateSince, map[promotion.State]time.Time{
			promotion.StatePending: store.Time(at(1)),
			promotion.StateWaiting: store.Time(at(4)),
		})
	})
}
