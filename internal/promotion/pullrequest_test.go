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
// worker holds it (looking at the pull request): the takeover waits for
// that worker's save and is made to what it wrote instead of being undone
// by it, and only then pushes to the pull request's branch — had the look
// found the pull request merged or closed, the newer release would not push
// to its branch (see TestNoPushToAnEndedPullRequestsBranch). One pull
// request never has two open promotions.
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
	// The newer release's stage promotion is being worked on (waiting for
	// the holder) before the holder records its look.
	eventually(t, "the newer stage promotion claimed", func() bool {
		ps := f.promotionsOf(r2.Release.ID)["stage"]
		return len(ps) == 1 && ps[0].LeaseOwner != ""
	})
	if p := f.promotion(old.ID); p.State != promotion.StatePROpen {
		t.Fatalf("the held promotion is %s before its holder let go", p.State)
	}

	// The other worker records its look, from the copy it claimed.
	held.Reason, held.LeaseOwner, held.LeaseUntil = "looked at the pull request", "", time.Time{}
	if err := f.store.UpdatePromotion(ctx, "other-worker", held); err != nil {
		t.Fatalf("the holder's save: %v", err)
	}

	newer := f.awaitState(r2.Release.ID, "stage", promotion.StatePROpen)
	if newer.PRBranch != old.PRBranch || newer.PRNumber != old.PRNumber {
		t.Fatalf("newer promotion on branch %q #%d, want the open pull request's %q #%d", newer.PRBranch, newer.PRNumber, old.PRBranch, old.PRNumber)
	}
	if p := f.promotion(old.ID); p.State != promotion.StateSuperseded || !strings.Contains(p.Reason, newer.ID) {
		t.Errorf("older promotion %s %q, want superseded by %s", p.State, p.Reason, newer.ID)
	}
	open, err := f.store.ListPromotions(ctx, promotion.PromotionFilter{Application: "payments", Environment: "stage", State: promotion.StatePROpen})
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Items) != 1 || open.Items[0].ID != newer.ID {
		t.Errorf("%d open promotions of payments in stage, want only %s", len(open.Items), newer.ID)
	}
}

// TestBuiltinPullRequestNumbers: a built-in pull request has a number and a
// URL like a host's, from pr-open on (issue 13 item 13): a newer release
// that takes over the open pull request keeps its number, and the next pull
// request after the merge gets the next number.
func TestBuiltinPullRequestNumbers(t *testing.T) {
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	first := f.awaitState(f.report("payments", "1.0.0").Release.ID, "stage", promotion.StatePROpen)
	if first.PRNumber != 1 || first.PRURL != "/pulls/envs/1" {
		t.Fatalf("first pull request: #%d %q, want #1 /pulls/envs/1", first.PRNumber, first.PRURL)
	}
	newer := f.report("payments", "2.0.0")
	second := f.awaitState(newer.Release.ID, "stage", promotion.StatePROpen)
	if second.PRNumber != 1 || second.PRURL != first.PRURL {
		t.Errorf("the newer release's pull request: #%d %q, want the open #1", second.PRNumber, second.PRURL)
	}
	if _, err := f.eng.Approve(ctx, second.ID, "bob"); err != nil {
		t.Fatalf("Approve(second) = %v", err)
	}
	merged := f.awaitState(newer.Release.ID, "stage", promotion.StateMerged)
	if merged.MergedBy != "bob" || merged.MergeSHA == "" {
		t.Errorf("merged by %q at %q, want bob and a merge commit", merged.MergedBy, merged.MergeSHA)
	}
	third := f.awaitState(f.report("payments", "3.0.0").Release.ID, "stage", promotion.StatePROpen)
	if third.PRNumber != 2 || third.PRURL != "/pulls/envs/2" {
		t.Errorf("the next pull request: #%d %q, want #2 /pulls/envs/2", third.PRNumber, third.PRURL)
	}
}

// TestBuiltinPullRequestWithoutNumber: a built-in pull request opened before
// built-in pull requests had numbers (pr-open, pr_number 0) gets its number
// on its next look, and merges on approval as before.
func TestBuiltinPullRequestWithoutNumber(t *testing.T) {
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	r := f.report("payments", "1.0.0")
	open := f.awaitState(r.Release.ID, "stage", promotion.StatePROpen)
	f.stop()
	old := f.promotion(open.ID)
	old.PRNumber, old.PRURL, old.NextAttemptAt = 0, "", time.Now()
	if err := f.store.UpdatePromotion(ctx, "", old); err != nil {
		t.Fatal(err)
	}
	f.run()
	eventually(t, "the old pull request numbered", func() bool { return f.promotion(open.ID).PRNumber == 1 })
	if p := f.promotion(open.ID); p.State != promotion.StatePROpen || p.PRURL != "/pulls/envs/1" {
		t.Fatalf("after its look: %s #%d %q, want pr-open #1 /pulls/envs/1", p.State, p.PRNumber, p.PRURL)
	}
	if _, err := f.eng.Approve(ctx, open.ID, "alice"); err != nil {
		t.Fatalf("Approve() = %v", err)
	}
	if p := f.awaitState(r.Release.ID, "stage", promotion.StateMerged); p.MergedBy != "alice" {
		t.Errorf("merged by %q, want alice", p.MergedBy)
	}
}
