package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

func testImportRelease(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	// A history as reindex reads it from Git: committed and merged
	// promotions with their commits, a release created at its commit time.
	r := rel("rel-1", "payments", "v1", at(0))
	r.ReportedBy = "reindex"
	dev := prom("pro-dev", r, "dev", promotion.StateCommitted, at(0))
	dev.CommitSHA = "1111111111111111111111111111111111111111"
	stage := prom("pro-stage", r, "stage", promotion.StateMerged, at(5))
	stage.CommitSHA, stage.MergeSHA, stage.PRBranch = "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333", "ferry/payments/stage"
	stage.Actor, stage.Note = "reindex", "restored from commit 3333333"

	t.Run("adds the release and its promotions as given", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		n, err := s.ImportRelease(ctx, r, []promotion.Promotion{dev, stage})
		if err != nil || n != 3 {
			t.Fatalf("ImportRelease() = %d, %v; want 3, nil", n, err)
		}
		got, err := s.GetRelease(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "release", got, storedRelease(r))
		equal(t, "dev promotion", mustGetPromotion(t, s, dev.ID), storedPromotion(dev))
		equal(t, "stage promotion", mustGetPromotion(t, s, stage.ID), storedPromotion(stage))
		equal(t, "stage transitions", mustTransitions(t, s, stage.ID),
			[]promotion.Transition{tr(stage.ID, at(5), promotion.StateMerged, "reindex", "restored from commit 3333333")})
		// Imported terminal promotions are no work for anyone.
		claimed, err := s.ClaimDue(ctx, "w", at(100), time.Minute, 10)
		if err != nil || len(claimed) != 0 {
			t.Errorf("ClaimDue() = %d promotions, %v; want none", len(claimed), err)
		}
	})

	t.Run("importing twice changes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, err := s.ImportRelease(ctx, r, []promotion.Promotion{dev}); err != nil {
			t.Fatal(err)
		}
		changed := dev
		changed.State, changed.CommitSHA = promotion.StateFailed, "4444444444444444444444444444444444444444"
		other := r
		other.Tag = "v9"
		n, err := s.ImportRelease(ctx, other, []promotion.Promotion{changed, stage})
		if err != nil || n != 1 {
			t.Fatalf("second ImportRelease() = %d, %v; want 1 (the stage promotion only), nil", n, err)
		}
		got, _ := s.GetRelease(ctx, r.ID)
		equal(t, "release after a second import", got, storedRelease(r))
		equal(t, "dev promotion after a second import", mustGetPromotion(t, s, dev.ID), storedPromotion(dev))
		equal(t, "dev transitions", len(mustTransitions(t, s, dev.ID)), 1)
		n, err = s.ImportRelease(ctx, r, []promotion.Promotion{dev, stage})
		if err != nil || n != 0 {
			t.Errorf("third ImportRelease() = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("an image stored under another id keeps its id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		live := rel("rel-live", "payments", "v1", at(-10)) // same image as r
		r := r
		r.Digest = live.Digest
		mustCreateRelease(t, s, live)
		n, err := s.ImportRelease(ctx, r, []promotion.Promotion{dev})
		if err != nil || n != 1 {
			t.Fatalf("ImportRelease() = %d, %v; want 1 (the promotion), nil", n, err)
		}
		if got := mustGetPromotion(t, s, dev.ID).ReleaseID; got != live.ID {
			t.Errorf("promotion's release = %q, want the stored %q", got, live.ID)
		}
		page, err := s.ListReleases(ctx, promotion.ReleaseFilter{})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("ListReleases() = %d releases, %v; want 1", len(page.Items), err)
		}
	})

	t.Run("refuses a release or promotion it cannot store", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		bad := dev
		bad.State = "lost"
		if _, err := s.ImportRelease(ctx, r, []promotion.Promotion{bad}); err == nil {
			t.Error("ImportRelease() with an unknown state = nil, want an error")
		}
		if _, err := s.GetRelease(ctx, r.ID); err == nil {
			t.Error("the release was stored although its import failed")
		}
	})
}
