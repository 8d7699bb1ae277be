package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// tr is a transition as the suite expects to read it back.
func tr(id string, when time.Time, st promotion.State, actor, reason string) promotion.Transition {
	return promotion.Transition{PromotionID: id, At: store.Time(when), State: st, Actor: actor, Reason: reason}
}

func mustTransitions(t *testing.T, s Store, id string) []promotion.Transition {
	t.Helper()
	trs, err := s.Transitions(context.Background(), id)
	if err != nil {
		t.Fatalf("Transitions(%s) = %v", id, err)
	}
	return trs
}

func mustUpdate(t *testing.T, s Store, owner string, p promotion.Promotion) {
	t.Helper()
	if err := s.UpdatePromotion(context.Background(), owner, p); err != nil {
		t.Fatalf("UpdatePromotion(%s, %s) = %v", owner, p.ID, err)
	}
}

func testTransitions(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))

	t.Run("CreateRelease records the first transition of each promotion", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		byActor := prom("prm-actor", r, "dev", promotion.StatePending, at(1))
		byActor.Actor, byActor.Note, byActor.RequestedBy, byActor.Reason = "carol", "promoted by hand", "ci-payments", "ignored"
		byRequester := prom("prm-requester", r, "qa", promotion.StateWaiting, at(2))
		byRequester.RequestedBy, byRequester.Reason = "ci-payments", "soak time of dev"
		byNobody := prom("prm-nobody", r, "stage", promotion.StatePending, at(3))
		mustCreateRelease(t, s, r, byActor, byRequester, byNobody)

		equal(t, "first transition, actor and note", mustTransitions(t, s, byActor.ID),
			[]promotion.Transition{tr(byActor.ID, at(1), promotion.StatePending, "carol", "promoted by hand")})
		equal(t, "first transition, requester and reason", mustTransitions(t, s, byRequester.ID),
			[]promotion.Transition{tr(byRequester.ID, at(2), promotion.StateWaiting, "ci-payments", "soak time of dev")})
		got := mustTransitions(t, s, byNobody.ID)
		equal(t, "first transition, defaults", got,
			[]promotion.Transition{tr(byNobody.ID, at(3), promotion.StatePending, "ferry", "")})
		for _, x := range got {
			wantUTC(t, "transition", x.At)
		}
	})

	t.Run("CreatePromotion records the first transition", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustCreateRelease(t, s, r)
		p := prom("prm-1", r, "prod", promotion.StatePending, at(4))
		p.RequestedBy, p.Forced, p.Note = "release-manager", true, "hotfix, skipping stage"
		mustCreatePromotion(t, s, p)
		equal(t, "transitions", mustTransitions(t, s, p.ID),
			[]promotion.Transition{tr(p.ID, at(4), promotion.StatePending, "release-manager", "hotfix, skipping stage")})
	})

	t.Run("a refused create records nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustCreateRelease(t, s, r, prom("prm-1", r, "dev", promotion.StatePending, at(0)))
		// The same image again: stored nothing, so no history either.
		again := rel("rel-2", "payments", "v1", at(5))
		if _, created, err := s.CreateRelease(ctx, again, []promotion.Promotion{prom("prm-2", again, "dev", promotion.StatePending, at(5))}); err != nil || created {
			t.Fatalf("CreateRelease(same image) = created %v, %v", created, err)
		}
		_, err := s.Transitions(ctx, "prm-2")
		wantIs(t, "Transitions(prm-2)", err, derrors.ErrNotFound)
		// A taken id: the existing promotion's history is untouched.
		dup := prom("prm-1", r, "qa", promotion.StateWaiting, at(6))
		dup.Note = "should not be recorded"
		wantIs(t, "CreatePromotion(taken id)", s.CreatePromotion(ctx, dup), derrors.ErrConflict)
		equal(t, "prm-1 transitions", mustTransitions(t, s, "prm-1"),
			[]promotion.Transition{tr("prm-1", at(0), promotion.StatePending, "ferry", "")})
	})

	t.Run("UpdatePromotion appends one when state or reason changes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "stage", promotion.StatePending, at(0))
		p.RequestedBy = "ci-payments"
		mustCreateRelease(t, s, r, p)
		p = mustGetPromotion(t, s, p.ID)

		// A gate holds it: state and reason change.
		p.State, p.Reason, p.UpdatedAt = promotion.StateWaiting, "soak time of dev: 10m left", at(10)
		mustUpdate(t, s, "", p)
		// A retry bookkeeping update changes neither: no transition, even
		// with a note and an actor.
		p.Attempts, p.NextAttemptAt, p.Approvers, p.UpdatedAt = 1, at(20), []string{"bob"}, at(11)
		p.Actor, p.Note = "bob", "approved"
		mustUpdate(t, s, "", p)
		// Only the reason changes, by a named actor.
		p.Reason, p.UpdatedAt, p.Actor, p.Note = "soak time of dev: 5m left", at(12), "gatekeeper", ""
		mustUpdate(t, s, "", p)
		// The PR opens: the note is the transition's reason.
		p.State, p.Reason, p.UpdatedAt, p.Actor, p.Note = promotion.StatePROpen, "", at(13), "alice", "opened PR #7"
		p.PRNumber, p.PRURL = 7, "https://git.example.com/acme/env/pull/7"
		mustUpdate(t, s, "", p)
		// A refused update records nothing.
		p.LeaseOwner = "worker-a"
		mustUpdate(t, s, "", p) // leases it: no state or reason change
		refused := p
		refused.State, refused.UpdatedAt = promotion.StateFailed, at(14)
		wantIs(t, "UpdatePromotion(worker-b)", s.UpdatePromotion(ctx, "worker-b", refused), derrors.ErrConflict)

		equal(t, "transitions", mustTransitions(t, s, p.ID), []promotion.Transition{
			tr(p.ID, at(0), promotion.StatePending, "ci-payments", ""),
			tr(p.ID, at(10), promotion.StateWaiting, "ferry", "soak time of dev: 10m left"),
			tr(p.ID, at(12), promotion.StateWaiting, "gatekeeper", "soak time of dev: 5m left"),
			tr(p.ID, at(13), promotion.StatePROpen, "alice", "opened PR #7"),
		})
	})

	t.Run("UpdatePromotion appends one when the counted approvals change", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "stage", promotion.StatePROpen, at(0))
		mustCreateRelease(t, s, r, p)
		p = mustGetPromotion(t, s, p.ID)
		p.Reason = "waiting for approvals: 0 of 1"

		// carol's approval does not count: the counted set stays empty, so
		// only the reason is a transition (the gate's reason names carol).
		carol := promotion.Approval{User: "carol", Reason: "not in approvers"}
		p.Approvals, p.UpdatedAt = []promotion.Approval{carol}, at(1)
		mustUpdate(t, s, "", p)
		equal(t, "approvals read back", mustGetPromotion(t, s, p.ID).Approvals, []promotion.Approval{carol})
		// The same list again: nothing.
		p.UpdatedAt = at(2)
		mustUpdate(t, s, "", p)
		// alice approves: the counted set changes, the reason does not.
		alice := promotion.Approval{User: "alice", Counted: true}
		p.Approvals, p.Approvers, p.UpdatedAt = []promotion.Approval{alice, carol}, []string{"alice"}, at(3)
		mustUpdate(t, s, "", p)
		// The same counted set in another order: nothing.
		p.Approvals, p.UpdatedAt = []promotion.Approval{carol, alice}, at(4)
		mustUpdate(t, s, "", p)
		// alice's approval goes stale: counted set empty again.
		stale := promotion.Approval{User: "alice", Reason: "stale: given on an older head"}
		p.Approvals, p.Approvers, p.UpdatedAt = []promotion.Approval{stale, carol}, nil, at(5)
		mustUpdate(t, s, "", p)

		equal(t, "transitions", mustTransitions(t, s, p.ID), []promotion.Transition{
			tr(p.ID, at(0), promotion.StatePROpen, "ferry", ""),
			tr(p.ID, at(1), promotion.StatePROpen, "ferry", "waiting for approvals: 0 of 1"),
			tr(p.ID, at(3), promotion.StatePROpen, "ferry", "approvals: alice counted; carol not counted: not in approvers"),
			tr(p.ID, at(5), promotion.StatePROpen, "ferry", "approvals: alice not counted: stale: given on an older head; carol not counted: not in approvers"),
		})
	})

	t.Run("a transition is at the update time, now when none is given", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "dev", promotion.StatePending, at(0))
		mustCreateRelease(t, s, r, p)
		before := time.Now()
		p.State, p.UpdatedAt = promotion.StateCommitted, time.Time{}
		mustUpdate(t, s, "", p)
		stored := mustGetPromotion(t, s, p.ID)
		if stored.UpdatedAt.Before(before.Add(-time.Second)) || stored.UpdatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("UpdatedAt = %v, want about %v", stored.UpdatedAt, before)
		}
		trs := mustTransitions(t, s, p.ID)
		if len(trs) != 2 {
			t.Fatalf("transitions = %+v, want 2", trs)
		}
		equal(t, "second transition", trs[1], tr(p.ID, stored.UpdatedAt, promotion.StateCommitted, "ferry", ""))
	})

	t.Run("equal times keep the order of recording", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "dev", promotion.StatePending, at(5))
		mustCreateRelease(t, s, r, p)
		steps := []promotion.State{promotion.StateWaiting, promotion.StatePending, promotion.StatePROpen, promotion.StateWaiting, promotion.StateFailed}
		want := []promotion.Transition{tr(p.ID, at(5), promotion.StatePending, "ferry", "")}
		for _, st := range steps {
			p.State, p.UpdatedAt = st, at(5)
			mustUpdate(t, s, "", p)
			want = append(want, tr(p.ID, at(5), st, "ferry", ""))
		}
		equal(t, "transitions", mustTransitions(t, s, p.ID), want)
	})

	t.Run("transitions of one promotion only", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := prom("prm-a", r, "dev", promotion.StatePending, at(0)), prom("prm-b", r, "qa", promotion.StatePending, at(0))
		mustCreateRelease(t, s, r, a, b)
		b.State, b.UpdatedAt = promotion.StateCommitted, at(1)
		mustUpdate(t, s, "", b)
		equal(t, "prm-a", mustTransitions(t, s, a.ID), []promotion.Transition{tr(a.ID, at(0), promotion.StatePending, "ferry", "")})
		equal(t, "prm-b", len(mustTransitions(t, s, b.ID)), 2)
	})

	t.Run("unknown promotion is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.Transitions(ctx, "prm-nope")
		wantIs(t, "Transitions(prm-nope)", err, derrors.ErrNotFound)
	})
}

func testCompletePromotion(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))

	// setup stores r with dev (pr-open, leased by worker-a) and an existing
	// prod promotion, and returns dev as stored and dev completed.
	setup := func(t *testing.T) (s Store, dev, merged promotion.Promotion) {
		s = open(t)
		dev = prom("prm-dev", r, "dev", promotion.StatePROpen, at(0))
		dev.RequestedBy, dev.PRNumber, dev.PRBranch = "ci-payments", 7, "ferry/payments/dev"
		dev.LeaseOwner, dev.LeaseUntil = "worker-a", at(300)
		mustCreateRelease(t, s, r, dev, prom("prm-prod", r, "prod", promotion.StatePending, at(0)))
		dev = mustGetPromotion(t, s, dev.ID)
		merged = dev
		merged.State, merged.MergeSHA, merged.MergedBy = promotion.StateMerged, "0badc0de", "alice"
		merged.Approvers = []string{"alice", "bob"}
		merged.LeaseOwner, merged.LeaseUntil, merged.UpdatedAt = "", time.Time{}, at(20)
		merged.Actor, merged.Note = "alice", "merged PR #7"
		return s, dev, merged
	}
	next := func(id, env string) promotion.Promotion {
		p := prom(id, r, env, promotion.StatePending, at(20))
		p.RequestedBy = "ferry"
		return p
	}
	// unchanged checks that a refused completion left everything as it was.
	unchanged := func(t *testing.T, s Store, dev promotion.Promotion, absent ...string) {
		t.Helper()
		equal(t, "dev", mustGetPromotion(t, s, dev.ID), dev)
		equal(t, "dev transitions", mustTransitions(t, s, dev.ID),
			[]promotion.Transition{tr(dev.ID, at(0), promotion.StatePROpen, "ci-payments", "")})
		equal(t, "prod transitions", mustTransitions(t, s, "prm-prod"),
			[]promotion.Transition{tr("prm-prod", at(0), promotion.StatePending, "ferry", "")})
		equal(t, "prod", mustGetPromotion(t, s, "prm-prod").Environment, "prod")
		for _, id := range absent {
			_, err := s.GetPromotion(ctx, id)
			wantIs(t, "GetPromotion("+id+")", err, derrors.ErrNotFound)
			_, err = s.Transitions(ctx, id)
			wantIs(t, "Transitions("+id+")", err, derrors.ErrNotFound)
		}
	}

	t.Run("completes and starts the next environments", func(t *testing.T) {
		t.Parallel()
		s, _, merged := setup(t)
		stage, qa := next("prm-stage", "stage"), next("prm-qa", "qa")
		qa.Note = "dev merged"
		if err := s.CompletePromotion(ctx, "worker-a", merged, []promotion.Promotion{stage, qa}); err != nil {
			t.Fatalf("CompletePromotion() = %v", err)
		}
		equal(t, "dev", mustGetPromotion(t, s, merged.ID), storedPromotion(merged))
		equal(t, "dev transitions", mustTransitions(t, s, merged.ID), []promotion.Transition{
			tr(merged.ID, at(0), promotion.StatePROpen, "ci-payments", ""),
			tr(merged.ID, at(20), promotion.StateMerged, "alice", "merged PR #7"),
		})
		for _, p := range []promotion.Promotion{stage, qa} {
			equal(t, p.ID, mustGetPromotion(t, s, p.ID), storedPromotion(p))
		}
		equal(t, "stage transitions", mustTransitions(t, s, stage.ID),
			[]promotion.Transition{tr(stage.ID, at(20), promotion.StatePending, "ferry", "")})
		equal(t, "qa transitions", mustTransitions(t, s, qa.ID),
			[]promotion.Transition{tr(qa.ID, at(20), promotion.StatePending, "ferry", "dev merged")})
	})

	t.Run("with nothing next and no change it records nothing", func(t *testing.T) {
		t.Parallel()
		s, dev, _ := setup(t)
		dev.Attempts, dev.UpdatedAt, dev.Note = 1, at(30), "polled"
		if err := s.CompletePromotion(ctx, "worker-a", dev, nil); err != nil {
			t.Fatalf("CompletePromotion() = %v", err)
		}
		equal(t, "dev", mustGetPromotion(t, s, dev.ID), storedPromotion(dev))
		equal(t, "dev transitions", len(mustTransitions(t, s, dev.ID)), 1)
	})

	for _, tc := range []struct {
		name    string
		owner   string
		change  func(merged *promotion.Promotion)
		next    []promotion.Promotion
		wantErr error
		absent  []string
	}{
		{"a lease held by another worker", "worker-b", nil,
			[]promotion.Promotion{next("prm-stage", "stage")}, derrors.ErrConflict, []string{"prm-stage"}},
		{"a next promotion with a taken id", "worker-a", nil,
			[]promotion.Promotion{next("prm-stage", "stage"), next("prm-prod", "prod")}, derrors.ErrConflict, []string{"prm-stage"}},
		{"two next promotions with one id", "worker-a", nil,
			[]promotion.Promotion{next("prm-stage", "stage"), next("prm-stage", "qa")}, derrors.ErrConflict, []string{"prm-stage"}},
		{"a next promotion of an unknown release", "worker-a", nil,
			[]promotion.Promotion{next("prm-stage", "stage"), prom("prm-qa", rel("rel-nope", "payments", "v9", at(0)), "qa", promotion.StatePending, at(20))},
			derrors.ErrNotFound, []string{"prm-stage", "prm-qa"}},
		{"a missing promotion", "worker-a", func(m *promotion.Promotion) { m.ID = "prm-nope" },
			[]promotion.Promotion{next("prm-stage", "stage")}, derrors.ErrNotFound, []string{"prm-stage", "prm-nope"}},
	} {
		t.Run(tc.name+" changes nothing", func(t *testing.T) {
			t.Parallel()
			s, dev, merged := setup(t)
			if tc.change != nil {
				tc.change(&merged)
			}
			err := s.CompletePromotion(ctx, tc.owner, merged, tc.next)
			wantIs(t, "CompletePromotion()", err, tc.wantErr)
			unchanged(t, s, dev, tc.absent...)
		})
	}

	t.Run("an invalid next promotion is refused before writing", func(t *testing.T) {
		t.Parallel()
		s, dev, merged := setup(t)
		err := s.CompletePromotion(ctx, "worker-a", merged, []promotion.Promotion{next("prm-stage", "stage"), next("prm-qa", "")})
		wantKind(t, "CompletePromotion(no environment)", err, derrors.Invalid, "invalid_promotion")
		unchanged(t, s, dev, "prm-stage", "prm-qa")
	})

	t.Run("an expired lease lost to another worker is refused", func(t *testing.T) {
		t.Parallel()
		s, dev, merged := setup(t)
		claimed, err := s.ClaimDue(ctx, "worker-b", at(300), time.Minute, 10)
		if err != nil || !contains(ids(claimed, promotionID), dev.ID) {
			t.Fatalf("ClaimDue(worker-b) = %v, %v; want %s among them", ids(claimed, promotionID), err, dev.ID)
		}
		err = s.CompletePromotion(ctx, "worker-a", merged, []promotion.Promotion{next("prm-stage", "stage")})
		wantIs(t, "CompletePromotion(worker-a)", err, derrors.ErrConflict)
		equal(t, "dev state", mustGetPromotion(t, s, dev.ID).State, promotion.StatePROpen)
		_, err = s.GetPromotion(ctx, "prm-stage")
		wantIs(t, "GetPromotion(prm-stage)", err, derrors.ErrNotFound)
	})
}

func testWake(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))
	later, wake := at(1000), at(50)

	var rows []promotion.Promotion
	for i, st := range promotion.States {
		p := prom("prm-"+string(st), r, "dev", st, at(i))
		p.NextAttemptAt = later
		rows = append(rows, p)
	}
	leased := prom("prm-pr-open-leased", r, "prod", promotion.StatePROpen, at(10))
	leased.NextAttemptAt, leased.LeaseOwner, leased.LeaseUntil = later, "worker-x", at(300)
	rows = append(rows, leased)

	s := open(t)
	mustCreateRelease(t, s, r, rows...)
	for _, p := range rows {
		if err := s.Wake(ctx, p.ID, wake); err != nil {
			t.Fatalf("Wake(%s) = %v, want nil", p.ID, err)
		}
		want := storedPromotion(p)
		if p.State == promotion.StatePending || p.State == promotion.StateWaiting || p.State == promotion.StatePROpen {
			// Only NextAttemptAt moves: not the lease, not UpdatedAt.
			want.NextAttemptAt = store.Time(wake)
		}
		equal(t, p.ID+" after Wake", mustGetPromotion(t, s, p.ID), want)
		equal(t, p.ID+" transitions", len(mustTransitions(t, s, p.ID)), 1)
	}
	wantIs(t, "Wake(prm-nope)", s.Wake(ctx, "prm-nope", wake), derrors.ErrNotFound)

	// Woken, the free ones are due at once; the leased one stays leased.
	claimed, err := s.ClaimDue(ctx, "worker-a", wake, time.Minute, 100)
	if err != nil {
		t.Fatalf("ClaimDue() = %v", err)
	}
	equal(t, "claimed after Wake", ids(claimed, promotionID), []string{"prm-pending", "prm-waiting", "prm-pr-open"})
}

// testWakeDuringLease: a webhook's wake that comes while a worker holds the
// promotion (it read the pull request open, the pull request was closed
// meanwhile) is not lost when that worker saves its next look for later:
// the promotion is due at the wake. Without a wake, or when the worker
// ends the promotion, the worker's own next attempt is stored.
func testWakeDuringLease(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))
	claimAt, wake, nextLook := at(100), at(110), at(160)
	for _, tc := range []struct {
		name  string
		woken bool
		state promotion.State
		next  time.Time // the worker's own next attempt
		want  time.Time
	}{
		{"a wake during the lease stays", true, promotion.StatePROpen, nextLook, wake},
		{"an earlier time of the worker's own stays", true, promotion.StatePending, at(105), at(105)},
		{"without a wake the worker's time stays", false, promotion.StatePROpen, nextLook, nextLook},
		{"an ended promotion has no next attempt", true, promotion.StateRejected, time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			p := prom("prm-1", r, "stage", promotion.StatePROpen, at(1))
			mustCreateRelease(t, s, r, p)
			claimed, err := s.ClaimDue(ctx, "worker-a", claimAt, time.Minute, 10)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("ClaimDue() = %v, %v; want prm-1", ids(claimed, promotionID), err)
			}
			equal(t, "claimed promotion's next attempt (the lease's end)", claimed[0].NextAttemptAt, store.Time(claimAt.Add(time.Minute)))
			if tc.woken {
				if err := s.Wake(ctx, p.ID, wake); err != nil {
					t.Fatalf("Wake() = %v", err)
				}
			}
			q := claimed[0]
			q.State, q.Reason, q.NextAttemptAt, q.UpdatedAt = tc.state, "looked at", tc.next, at(120)
			mustUpdate(t, s, "worker-a", q)
			equal(t, "next attempt after the save", mustGetPromotion(t, s, p.ID).NextAttemptAt, store.Time(tc.want))
		})
	}

	t.Run("a worker that dies holding it is followed at the lease's end", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p := prom("prm-1", r, "stage", promotion.StatePending, at(1))
		mustCreateRelease(t, s, r, p)
		if claimed, err := s.ClaimDue(ctx, "worker-a", claimAt, time.Minute, 10); err != nil || len(claimed) != 1 {
			t.Fatalf("ClaimDue(worker-a) = %v, %v", ids(claimed, promotionID), err)
		}
		if claimed, err := s.ClaimDue(ctx, "worker-b", claimAt.Add(59*time.Second), time.Minute, 10); err != nil || len(claimed) != 0 {
			t.Fatalf("ClaimDue(worker-b) before the lease ends = %v, %v; want none", ids(claimed, promotionID), err)
		}
		claimed, err := s.ClaimDue(ctx, "worker-b", claimAt.Add(time.Minute), time.Minute, 10)
		if err != nil || len(claimed) != 1 || !claimed[0].Reclaimed {
			t.Fatalf("ClaimDue(worker-b) at the lease's end = %v, %v; want prm-1 reclaimed", ids(claimed, promotionID), err)
		}
	})
}
