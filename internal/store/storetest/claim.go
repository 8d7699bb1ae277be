package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

func testClaimDue(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))
	now := at(100)
	const lease = time.Minute

	// due builds a promotion created at second c, pending unless changed.
	due := func(id string, c int, change func(p *promotion.Promotion)) promotion.Promotion {
		p := prom(id, r, "dev", promotion.StatePending, at(c))
		if change != nil {
			change(&p)
		}
		return p
	}
	rows := []promotion.Promotion{
		due("prm-due-3", 3, nil),
		due("prm-due-1", 1, nil),
		due("prm-due-2b", 2, nil),
		due("prm-due-2a", 2, nil), // same time as 2b: id breaks the tie
		due("prm-due-now", 4, func(p *promotion.Promotion) { p.NextAttemptAt = now }),
		due("prm-due-zero", 5, func(p *promotion.Promotion) { p.NextAttemptAt = time.Time{} }),
		due("prm-expired", 6, func(p *promotion.Promotion) { p.LeaseOwner, p.LeaseUntil = "worker-x", now.Add(-time.Second) }),
		due("prm-expires-now", 7, func(p *promotion.Promotion) { p.LeaseOwner, p.LeaseUntil = "worker-x", now }),
		due("prm-later", 8, func(p *promotion.Promotion) { p.NextAttemptAt = now.Add(time.Microsecond) }),
		due("prm-leased", 9, func(p *promotion.Promotion) { p.LeaseOwner, p.LeaseUntil = "worker-x", now.Add(time.Second) }),
	}
	// One due, free row in every other state: only waiting and pr-open
	// ones are claimed (the engine waits on a gate or polls the PR).
	for _, st := range promotion.States {
		if st != promotion.StatePending {
			rows = append(rows, due("prm-"+string(st), 0, func(p *promotion.Promotion) { p.State = st }))
		}
	}
	// Waiting and pr-open rows obey the same due and lease rules.
	rows = append(rows,
		due("prm-waiting-later", 10, func(p *promotion.Promotion) {
			p.State, p.NextAttemptAt = promotion.StateWaiting, now.Add(time.Microsecond)
		}),
		due("prm-pr-open-leased", 11, func(p *promotion.Promotion) {
			p.State, p.LeaseOwner, p.LeaseUntil = promotion.StatePROpen, "worker-x", now.Add(time.Second)
		}),
		due("prm-pr-open-expired", 12, func(p *promotion.Promotion) {
			p.State, p.LeaseOwner, p.LeaseUntil = promotion.StatePROpen, "worker-x", now.Add(-time.Second)
			p.PRNumber, p.PRURL, p.PRBranch = 12, "https://git.example.com/acme/env/pull/12", "ferry/payments/dev"
		}),
	)
	wantOrder := []string{"prm-pr-open", "prm-waiting", // created first; id breaks the tie
		"prm-due-1", "prm-due-2a", "prm-due-2b", "prm-due-3", "prm-due-now", "prm-due-zero", "prm-expired", "prm-expires-now",
		"prm-pr-open-expired"}

	setup := func(t *testing.T) Store {
		s := open(t)
		mustCreateRelease(t, s, r, rows...)
		return s
	}
	claim := func(t *testing.T, s Store, owner string, now time.Time, limit int) []promotion.Promotion {
		t.Helper()
		ps, err := s.ClaimDue(ctx, owner, now, lease, limit)
		if err != nil {
			t.Fatalf("ClaimDue(%s, limit %d) = %v", owner, limit, err)
		}
		return ps
	}

	t.Run("claims due, free or expired pending, waiting and pr-open rows, oldest first", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		got := claim(t, s, "worker-a", now, 100)
		equal(t, "claimed", ids(got, promotionID), wantOrder)
		until := store.Time(now.Add(lease))
		// Rows whose lease ran out unreleased are reclaimed.
		reclaimed := []string{"prm-expired", "prm-expires-now", "prm-pr-open-expired"}
		for _, p := range got {
			if p.LeaseOwner != "worker-a" || !p.LeaseUntil.Equal(until) {
				t.Errorf("%s: returned lease %q until %v, want worker-a until %v", p.ID, p.LeaseOwner, p.LeaseUntil, until)
			}
			equal(t, p.ID+" reclaimed", p.Reclaimed, contains(reclaimed, p.ID))
			stored := mustGetPromotion(t, s, p.ID)
			equal(t, p.ID+" stored reclaimed", stored.Reclaimed, false) // not stored
			p.Reclaimed = false
			equal(t, p.ID+" returned vs stored", p, stored)
		}
		// The rows not claimed are untouched.
		for _, p := range rows {
			if !contains(wantOrder, p.ID) {
				equal(t, p.ID+" untouched", mustGetPromotion(t, s, p.ID), storedPromotion(p))
			}
		}
		// Nothing is left for another worker at that time.
		if again := claim(t, s, "worker-b", now, 100); len(again) != 0 {
			t.Errorf("second claim got %v, want nothing", ids(again, promotionID))
		}
	})

	t.Run("respects the limit", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		var got []string
		for i := 0; i < 10; i++ {
			w := fmt.Sprintf("worker-%d", i)
			ps := claim(t, s, w, now, 3)
			if len(ps) > 3 {
				t.Fatalf("%s claimed %d, limit 3", w, len(ps))
			}
			if len(ps) == 0 {
				break
			}
			got = append(got, ids(ps, promotionID)...)
		}
		equal(t, "claimed in batches of 3", got, wantOrder)
		if ps := claim(t, s, "worker-a", now, 0); len(ps) != 0 {
			t.Errorf("limit 0 claimed %v", ids(ps, promotionID))
		}
	})

	t.Run("an expired lease can be claimed again", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		first := claim(t, s, "worker-a", now, 2)
		later := now.Add(lease)
		got := claim(t, s, "worker-b", later, 2)
		equal(t, "reclaimed", ids(got, promotionID), ids(first, promotionID))
		for _, p := range got {
			equal(t, p.ID+" owner", mustGetPromotion(t, s, p.ID).LeaseOwner, "worker-b")
		}
		// The first worker lost its lease: its update is refused.
		p := first[0]
		p.State = promotion.StateCommitted
		wantIs(t, "UpdatePromotion(worker-a)", s.UpdatePromotion(ctx, "worker-a", p), derrors.ErrConflict)
	})

	t.Run("a released lease makes the row claimable when due", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := claim(t, s, "worker-a", now, 1)[0]
		p.LeaseOwner, p.LeaseUntil = "", time.Time{}
		p.Attempts, p.NextAttemptAt = 1, now.Add(10*time.Second)
		if err := s.UpdatePromotion(ctx, "worker-a", p); err != nil {
			t.Fatalf("UpdatePromotion() = %v", err)
		}
		if got := claim(t, s, "worker-b", now.Add(5*time.Second), 100); contains(ids(got, promotionID), p.ID) {
			t.Errorf("claimed %s before its next attempt", p.ID)
		}
		got := claim(t, s, "worker-c", now.Add(10*time.Second), 100)
		equal(t, "claimed at next attempt", ids(got, promotionID), []string{p.ID})
	})

	t.Run("tells a claim after a lease ran out from one after a release", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "dev", promotion.StatePending, at(1))
		mustCreateRelease(t, s, r, p)
		claimOne := func(owner string, at time.Time) promotion.Promotion {
			t.Helper()
			got := claim(t, s, owner, at, 10)
			if len(got) != 1 || got[0].ID != p.ID {
				t.Fatalf("%s claimed %v at %v, want [%s]", owner, ids(got, promotionID), at, p.ID)
			}
			return got[0]
		}
		// The first claim: nobody held it.
		first := claimOne("worker-a", now)
		equal(t, "first claim reclaimed", first.Reclaimed, false)
		// worker-a dies holding it; worker-b claims it once the lease ran out.
		second := claimOne("worker-b", now.Add(lease))
		equal(t, "claim after an expired lease reclaimed", second.Reclaimed, true)
		// worker-b records a transient failure, which releases the lease.
		second.Attempts, second.NextAttemptAt = 1, now.Add(2*lease)
		second.LeaseOwner, second.LeaseUntil = "", time.Time{}
		if err := s.UpdatePromotion(ctx, "worker-b", second); err != nil {
			t.Fatalf("UpdatePromotion() = %v", err)
		}
		third := claimOne("worker-c", now.Add(2*lease))
		equal(t, "claim after a release reclaimed", third.Reclaimed, false)
		equal(t, "attempts after a release", third.Attempts, 1)
		// The same owner claiming its own lease after it ran out (a
		// restarted process keeping its name) is a reclaim too.
		fourth := claimOne("worker-c", now.Add(3*lease))
		equal(t, "own expired lease reclaimed", fourth.Reclaimed, true)
		equal(t, "stored reclaimed", mustGetPromotion(t, s, p.ID).Reclaimed, false)
	})

	t.Run("bad arguments are invalid", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, tc := range []struct {
			name  string
			owner string
			lease time.Duration
			limit int
		}{
			{"no owner", "", lease, 1},
			{"no lease", "w", 0, 1},
			{"negative limit", "w", lease, -1},
		} {
			_, err := s.ClaimDue(ctx, tc.owner, now, tc.lease, tc.limit)
			wantKind(t, tc.name, err, derrors.Invalid, "invalid_claim")
		}
	})

	t.Run("concurrent claimers never share a promotion", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var ps []promotion.Promotion
		for i := 0; i < 100; i++ {
			ps = append(ps, prom(fmt.Sprintf("prm-%03d", i), r, "dev", promotion.StatePending, at(i%7)))
		}
		mustCreateRelease(t, s, r, ps...)

		var mu sync.Mutex
		owners := map[string]string{}
		var errs []error
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			owner := fmt.Sprintf("worker-%d", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimDue(ctx, owner, at(200), lease, 3)
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s: %w", owner, err))
						mu.Unlock()
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, p := range got {
						if prev, dup := owners[p.ID]; dup {
							errs = append(errs, fmt.Errorf("%s claimed by %s and %s", p.ID, prev, owner))
						}
						owners[p.ID] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if len(owners) != 100 {
			t.Errorf("claimed %d distinct promotions, want 100", len(owners))
		}
		for id, owner := range owners {
			if got := mustGetPromotion(t, s, id).LeaseOwner; got != owner {
				t.Errorf("%s stored owner %q, claimed by %q", id, got, owner)
			}
		}
	})
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}
