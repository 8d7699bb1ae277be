package storetest

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

func pin(id string, r promotion.Release, env, by string, n int) promotion.Pin {
	return promotion.Pin{ID: id, Application: r.Application, Environment: env, ReleaseID: r.ID, ReleaseTag: r.Tag,
		PinnedBy: by, Reason: "rolled back by " + by, CreatedAt: at(n), Active: true}
}

func storedPin(p promotion.Pin) promotion.Pin {
	p.CreatedAt, p.EndedAt = store.Time(p.CreatedAt), store.Time(p.EndedAt)
	return p
}

func testPins(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("a pin is active until it ends, and is kept as history", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel_p1", "payments", "1.0.0", at(0))
		mustCreateRelease(t, s, r)
		_, err := s.ActivePin(ctx, "payments", "prod")
		wantIs(t, "ActivePin before any pin", err, derrors.ErrNotFound)

		p := pin("pin_1", r, "prod", "alice", 1)
		if err := s.CreatePin(ctx, p, nil); err != nil {
			t.Fatalf("CreatePin = %v", err)
		}
		got, err := s.ActivePin(ctx, "payments", "prod")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "active pin", got, storedPin(p))
		_, err = s.ActivePin(ctx, "payments", "stage")
		wantIs(t, "ActivePin of another environment", err, derrors.ErrNotFound)

		ended, err := s.EndPin(ctx, "payments", "prod", "bob", "fixed in 1.0.2", at(5))
		if err != nil {
			t.Fatalf("EndPin = %v", err)
		}
		want := p
		want.Active, want.EndedAt, want.EndedBy, want.EndReason = false, at(5), "bob", "fixed in 1.0.2"
		equal(t, "ended pin", ended, storedPin(want))
		_, err = s.ActivePin(ctx, "payments", "prod")
		wantIs(t, "ActivePin after EndPin", err, derrors.ErrNotFound)
		_, err = s.EndPin(ctx, "payments", "prod", "bob", "", at(6))
		wantIs(t, "EndPin with none active", err, derrors.ErrNotFound)

		active, err := s.ListPins(ctx, promotion.PinFilter{})
		if err != nil || len(active) != 0 {
			t.Errorf("ListPins(active) = %v, %v; want none", active, err)
		}
		all, err := s.ListPins(ctx, promotion.PinFilter{Ended: true})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "ListPins(ended)", all, []promotion.Pin{storedPin(want)})
	})

	t.Run("a new pin replaces the active one", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r1, r2 := rel("rel_q1", "payments", "1.0.0", at(0)), rel("rel_q2", "payments", "1.0.1", at(1))
		mustCreateRelease(t, s, r1)
		mustCreateRelease(t, s, r2)
		first, second := pin("pin_a", r1, "prod", "alice", 2), pin("pin_b", r2, "prod", "bob", 3)
		other := pin("pin_c", r1, "stage", "carol", 4)
		for _, p := range []promotion.Pin{first, second, other} {
			if err := s.CreatePin(ctx, p, nil); err != nil {
				t.Fatalf("CreatePin(%s) = %v", p.ID, err)
			}
		}
		got, err := s.ActivePin(ctx, "payments", "prod")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "active pin of prod", got, storedPin(second))
		replaced := first
		replaced.Active, replaced.EndedAt, replaced.EndedBy, replaced.EndReason = false, second.CreatedAt, "bob", "replaced by pin pin_b"
		prod, err := s.ListPins(ctx, promotion.PinFilter{Application: "payments", Environment: "prod", Ended: true})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "pins of prod, newest first", prod, []promotion.Pin{storedPin(second), storedPin(replaced)})
		active, err := s.ListPins(ctx, promotion.PinFilter{Application: "payments"})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "active pins of payments", active, []promotion.Pin{storedPin(other), storedPin(second)})
		if _, err := s.ListPins(ctx, promotion.PinFilter{Limit: 501}); derrors.KindOf(err) != derrors.Invalid {
			t.Errorf("ListPins(limit 501) = %v; want invalid", err)
		}
	})

	t.Run("a pin stored with its promotion stores both or neither", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r1, r2 := rel("rel_w1", "payments", "1.0.0", at(0)), rel("rel_w2", "payments", "1.0.1", at(1))
		mustCreateRelease(t, s, r1)
		mustCreateRelease(t, s, r2)
		rb := prom("prm_rb", r1, "prod", promotion.StatePending, at(2))
		p := pin("pin_rb", r1, "prod", "alice", 2)
		p.PromotionID = rb.ID
		if err := s.CreatePin(ctx, p, &rb); err != nil {
			t.Fatalf("CreatePin with promotion = %v", err)
		}
		equal(t, "the rollback", mustGetPromotion(t, s, rb.ID), storedPromotion(rb))

		// The same promotion id again: a conflict, and the second pin is
		// not stored either.
		again := pin("pin_rb2", r2, "prod", "bob", 3)
		err := s.CreatePin(ctx, again, &rb)
		wantIs(t, "CreatePin with a taken promotion id", err, derrors.ErrConflict)
		got, err := s.ActivePin(ctx, "payments", "prod")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "active pin after the refused one", got, storedPin(p))

		// A pin of an unknown release is refused.
		bad := pin("pin_x", rel("rel_unknown", "payments", "9", at(0)), "dev", "eve", 4)
		if err := s.CreatePin(ctx, bad, nil); err == nil {
			t.Error("CreatePin of an unknown release succeeded")
		}
	})
}
