package promotion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestNewerPRSupersedesHeldPromotion: a newer release that takes over an
// open pull request supersedes the older promotion even while another
// worker holds it (looking at the pull request): the change waits for that
// worker's save instead of being undone by it, so one pull request never
// has two open promotions.
func TestNewerPRSupersedesHeldPromotion(t *testing.T) {
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	r1 := f.report("payments", "1.0.0")
	old := f.awaitState(r1.Release.ID, "stage", promotion.StatePROpen)
	f.stop()

	// Another worker claims the open promotion to look at its pull request.
	held := f.promotion(old.ID)
	held.LeaseOwner, held.LeaseUntil = "other-worker", time.Now().Add(time.Minute)
	if err := f.store.UpdatePromotion(ctx, "", held); err != nil {
		t.Fatal(err)
	}

	r2 := f.report("payments", "2.0.0")
	f.run()
	newer := f.awaitState(r2.Release.ID, "stage", promotion.StatePROpen)
	if newer.PRBranch != old.PRBranch {
		t.Fatalf("newer promotion on branch %q, want the open pull request's %q", newer.PRBranch, old.PRBranch)
	}

	// The other worker records its look, from the copy it claimed.
	held.Reason, held.LeaseOwner, held.LeaseUntil = "looked at the pull request", "", time.Time{}
	if err := f.store.UpdatePromotion(ctx, "other-worker", held); err != nil {
		t.Fatalf("the holder's save: %v", err)
	}

	eventually(t, "the older promotion superseded", func() bool {
		return f.promotion(old.ID).State == promotion.StateSuperseded
	})
	if p := f.promotion(old.ID); !strings.Contains(p.Reason, newer.ID) {
		t.Errorf("reason %q does not name the newer promotion %s", p.Reason, newer.ID)
	}
	open, err := f.store.ListPromotions(ctx, promotion.PromotionFilter{Application: "payments", Environment: "stage", State: promotion.StatePROpen})
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Items) != 1 || open.Items[0].ID != newer.ID {
		t.Errorf("%d open promotions of payments in stage, want only %s", len(open.Items), newer.ID)
	}
}
