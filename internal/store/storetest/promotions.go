package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

func testPromotions(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))

	t.Run("create and get", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustCreateRelease(t, s, r)
		full := promotion.Promotion{
			ID: "prm-full", ReleaseID: r.ID, Application: r.Application, Environment: "prod",
			State: promotion.StateFailed, Reason: "registry said 503", CommitSHA: "abc123", Noop: true,
			Attempts: 3, NextAttemptAt: at(60), LeaseOwner: "worker-a", LeaseUntil: at(30),
			CreatedAt: at(1), UpdatedAt: at(2),
			RequestedBy: "release-manager", Forced: true,
			PRNumber: 1234, PRURL: "https://git.example.com/acme/env/pull/1234", PRBranch: "ferry/payments/prod",
			MergeSHA: "fedcba9876543210fedcba9876543210fedcba98", MergedBy: "alice", Approvers: []string{"alice", "bob", "zoë"},
			Approvals: []promotion.Approval{{User: "alice", Counted: true}, {User: "mallory", Reason: "no write access"}, {User: "zoë", Counted: true}},
			Diff:      "--- a/f.yaml\n+++ b/f.yaml\n@@ -1 +1 @@\n-image: x:1\n+image: x:2 # ünïcode\n",
			Actor:     "carol", Note: "not a column", // feed the first transition only
		}
		zero := prom("prm-zero", r, "dev", promotion.StatePending, at(1))
		zero.NextAttemptAt = time.Time{}
		emptyApprovers := prom("prm-empty-approvers", r, "stage", promotion.StatePROpen, at(1))
		emptyApprovers.Approvers = []string{}
		for _, p := range []promotion.Promotion{full, zero, emptyApprovers} {
			mustCreatePromotion(t, s, p)
			got := mustGetPromotion(t, s, p.ID)
			equal(t, p.ID, got, storedPromotion(p))
		}
		if got := mustGetPromotion(t, s, zero.ID); !got.NextAttemptAt.IsZero() || !got.LeaseUntil.IsZero() {
			t.Errorf("zero times read back as NextAttemptAt=%v LeaseUntil=%v, want zero", got.NextAttemptAt, got.LeaseUntil)
		}
		// No approvers, nil or empty, read back as nil.
		for _, id := range []string{zero.ID, emptyApprovers.ID} {
			if got := mustGetPromotion(t, s, id).Approvers; got != nil {
				t.Errorf("%s: Approvers = %#v, want nil", id, got)
			}
		}
		// Lists return the same rows as GetPromotion.
		page, err := s.ListPromotions(ctx, promotion.PromotionFilter{})
		if err != nil {
			t.Fatalf("ListPromotions() = %v", err)
		}
		equal(t, "listed", page.Items, []promotion.Promotion{ // all created at(1): by id, descending
			storedPromotion(zero), storedPromotion(full), storedPromotion(emptyApprovers),
		})
	})

	t.Run("create refuses", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustCreateRelease(t, s, r, prom("prm-1", r, "dev", promotion.StatePending, at(0)))
		for _, tc := range []struct {
			name  string
			p     promotion.Promotion
			check func(t *testing.T, err error)
		}{
			{"duplicate id", prom("prm-1", r, "qa", promotion.StatePending, at(1)),
				func(t *testing.T, err error) { wantIs(t, "duplicate id", err, derrors.ErrConflict) }},
			{"unknown release", prom("prm-2", rel("rel-nope", "payments", "v9", at(0)), "qa", promotion.StatePending, at(1)),
				func(t *testing.T, err error) { wantIs(t, "unknown release", err, derrors.ErrNotFound) }},
			{"unknown state", prom("prm-3", r, "qa", "shipping", at(1)),
				func(t *testing.T, err error) {
					wantKind(t, "unknown state", err, derrors.Invalid, "invalid_promotion")
				}},
			{"no environment", prom("prm-4", r, "", promotion.StatePending, at(1)),
				func(t *testing.T, err error) {
					wantKind(t, "no environment", err, derrors.Invalid, "invalid_promotion")
				}},
		} {
			err := s.CreatePromotion(ctx, tc.p)
			tc.check(t, err)
		}
		// Nothing of the refused ones was stored; the first is untouched.
		for _, id := range []string{"prm-2", "prm-3", "prm-4"} {
			_, err := s.GetPromotion(ctx, id)
			wantIs(t, "GetPromotion("+id+")", err, derrors.ErrNotFound)
		}
		equal(t, "prm-1", mustGetPromotion(t, s, "prm-1").Environment, "dev")
	})

	t.Run("missing promotion is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.GetPromotion(ctx, "prm-nope")
		wantIs(t, "GetPromotion", err, derrors.ErrNotFound)
	})
}

func testUpdatePromotion(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	r := rel("rel-1", "payments", "v1", at(0))
	leased := prom("prm-1", r, "dev", promotion.StatePending, at(0))
	leased.LeaseOwner, leased.LeaseUntil = "worker-a", at(300)

	// changed is leased with every mutable field changed, and every
	// immutable one too: those must not be written.
	changed := leased
	changed.State, changed.Reason, changed.CommitSHA, changed.Noop = promotion.StateCommitted, "done", "deadbeef", true
	changed.Attempts, changed.NextAttemptAt = 2, time.Time{}
	changed.LeaseOwner, changed.LeaseUntil = "", time.Time{}
	changed.UpdatedAt = at(42)
	changed.PRNumber, changed.PRURL, changed.PRBranch = 77, "https://git.example.com/acme/env/pull/77", "ferry/payments/dev"
	changed.MergeSHA, changed.MergedBy, changed.Approvers = "0badc0de", "alice", []string{"alice", "bob"}
	changed.Actor, changed.Note = "alice", "merged by alice"
	withImmutable := changed
	withImmutable.ReleaseID, withImmutable.Application, withImmutable.Environment = "rel-other", "other", "prod"
	withImmutable.CreatedAt = at(999)
	withImmutable.RequestedBy, withImmutable.Forced = "mallory", true

	for _, tc := range []struct {
		name    string
		owner   string
		p       promotion.Promotion
		wantErr error
		want    promotion.Promotion // the stored row afterwards
	}{
		{"by the lease owner", "worker-a", withImmutable, nil, changed},
		{"with no owner given", "", withImmutable, nil, changed},
		{"by another worker", "worker-b", withImmutable, derrors.ErrConflict, leased},
		{"missing promotion", "worker-a", func() promotion.Promotion { p := changed; p.ID = "prm-nope"; return p }(),
			derrors.ErrNotFound, leased},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			mustCreateRelease(t, s, r, leased)
			err := s.UpdatePromotion(ctx, tc.owner, tc.p)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("UpdatePromotion() = %v, want nil", err)
			}
			if tc.wantErr != nil {
				wantIs(t, "UpdatePromotion()", err, tc.wantErr)
			}
			equal(t, "stored promotion", mustGetPromotion(t, s, leased.ID), storedPromotion(tc.want))
		})
	}

	t.Run("an unleased row accepts only the empty owner", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		free := prom("prm-free", r, "dev", promotion.StatePending, at(0))
		mustCreateRelease(t, s, r, free)
		free.Reason = "noted"
		free.UpdatedAt = at(5)
		err := s.UpdatePromotion(ctx, "worker-a", free)
		// The row is leased by "", not by worker-a: only owner "" may write.
		wantIs(t, "UpdatePromotion(worker-a)", err, derrors.ErrConflict)
		if err := s.UpdatePromotion(ctx, "", free); err != nil {
			t.Fatalf("UpdatePromotion(\"\") = %v", err)
		}
		equal(t, "reason", mustGetPromotion(t, s, free.ID).Reason, "noted")
	})
}
