package promotion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// TestPullRequestBranchPerPullRequest: every pull request gets a branch of
// its own, named for the promotion that opened it; a newer release pushes a
// new commit to the open pull request's branch (never deleting it); the
// branch is deleted once the pull request is merged, and the next pull
// request starts from the base on a fresh branch.
func TestPullRequestBranchPerPullRequest(t *testing.T) {
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	first := f.awaitState(f.report("payments", "1.0.0").Release.ID, "stage", promotion.StatePROpen)
	if !strings.HasPrefix(first.PRBranch, "ferry/payments/stage.") || !strings.HasSuffix(strings.ReplaceAll(first.ID, "-", ""), strings.TrimPrefix(first.PRBranch, "ferry/payments/stage.")) {
		t.Fatalf("first pull request's branch %q, want ferry/payments/stage.<tail of %s>", first.PRBranch, first.ID)
	}
	newer := f.report("payments", "2.0.0")
	second := f.awaitState(newer.Release.ID, "stage", promotion.StatePROpen)
	if second.PRBranch != first.PRBranch || second.PRNumber != first.PRNumber {
		t.Fatalf("newer release on %q #%d, want the open pull request's %q #%d", second.PRBranch, second.PRNumber, first.PRBranch, first.PRNumber)
	}
	if got := f.git("rev-parse", second.PRBranch+"^"); got != first.CommitSHA {
		t.Errorf("the newer commit's parent is %s, want the first push %s (a new commit on the same branch)", got, first.CommitSHA)
	}
	if _, err := f.eng.Approve(ctx, second.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	f.awaitState(newer.Release.ID, "stage", promotion.StateMerged)
	eventually(t, "the merged pull request's branch deleted", func() bool { return f.git("branch", "--list", first.PRBranch) == "" })

	third := f.awaitState(f.report("payments", "3.0.0").Release.ID, "stage", promotion.StatePROpen)
	if third.PRBranch == first.PRBranch || !strings.HasPrefix(third.PRBranch, "ferry/payments/stage.") {
		t.Errorf("next pull request on %q, want a fresh ferry/payments/stage.… branch", third.PRBranch)
	}
	if got, base := f.git("rev-parse", third.PRBranch+"^"), f.git("rev-parse", "main"); got != base {
		t.Errorf("next pull request's branch starts at %s, want main's head %s", got, base)
	}
}

// TestPullRequestBranchFromBeforeTheUpgrade: a pull request opened before
// branches were named per pull request (ferry/<app>/<env>) stays in use: a
// newer release pushes to the branch its open promotion recorded, and the
// branch goes once that pull request is merged.
func TestPullRequestBranchFromBeforeTheUpgrade(t *testing.T) {
	const legacy = "ferry/payments/stage"
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	r1 := f.report("payments", "1.0.0")
	open := f.awaitState(r1.Release.ID, "stage", promotion.StatePROpen)
	f.stop()

	// Make it look like the old scheme's: the branch, the built-in pull
	// request and the promotion all say ferry/payments/stage.
	f.git("branch", legacy, open.PRBranch)
	f.git("branch", "-D", open.PRBranch)
	pr, err := f.store.GetPullRequest(ctx, "envs", open.PRNumber)
	if err != nil {
		t.Fatal(err)
	}
	pr.State = string(promotion.PRClosed)
	if err := f.store.UpdatePullRequest(ctx, pr); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	old, err := f.store.CreatePullRequest(ctx, store.PullRequest{Repository: "envs", Head: legacy, Base: "main", HeadSHA: open.CommitSHA,
		State: string(promotion.PROpen), CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	p := f.promotion(open.ID)
	p.PRBranch, p.PRNumber = legacy, old.Number
	if err := f.store.UpdatePromotion(ctx, "", p); err != nil {
		t.Fatal(err)
	}

	f.run()
	r2 := f.report("payments", "2.0.0")
	newer := f.awaitState(r2.Release.ID, "stage", promotion.StatePROpen)
	if newer.PRBranch != legacy || newer.PRNumber != old.Number {
		t.Fatalf("newer release on %q #%d, want the old-style open pull request %q #%d", newer.PRBranch, newer.PRNumber, legacy, old.Number)
	}
	if got := f.git("rev-parse", legacy+"^"); got != open.CommitSHA {
		t.Errorf("the newer commit's parent is %s, want the old branch's head %s", got, open.CommitSHA)
	}
	if q := f.promotion(open.ID); q.State != promotion.StateSuperseded {
		t.Errorf("the old promotion is %s, want superseded", q.State)
	}
	if _, err := f.eng.Approve(ctx, newer.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	f.awaitState(r2.Release.ID, "stage", promotion.StateMerged)
	eventually(t, "the old-style branch deleted after the merge", func() bool { return f.git("branch", "--list", legacy) == "" })
}

// TestClosedPullRequestsBranchIsNotReused: once a pull request is closed,
// its branch is deleted and a newer release opens a new pull request on a
// fresh branch: Ferry never pushes to (or deletes under) a pull request
// that may be open.
func TestClosedPullRequestsBranchIsNotReused(t *testing.T) {
	f := newFixture(t, setup{})
	ctx := context.Background()
	f.run()
	r1 := f.report("payments", "1.0.0")
	first := f.awaitState(r1.Release.ID, "stage", promotion.StatePROpen)
	if _, err := f.eng.Cancel(ctx, first.ID, "alice", "wrong release"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cancelled pull request's branch deleted", func() bool { return f.git("branch", "--list", first.PRBranch) == "" })

	second := f.awaitState(f.report("payments", "2.0.0").Release.ID, "stage", promotion.StatePROpen)
	if second.PRBranch == first.PRBranch || second.PRNumber == first.PRNumber {
		t.Errorf("new pull request on %q #%d, want a fresh branch and number (closed: %q #%d)", second.PRBranch, second.PRNumber, first.PRBranch, first.PRNumber)
	}
}
