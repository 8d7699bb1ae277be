package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestCrashAfterPush: a promotion whose commit was pushed, but whose state
// was not recorded before a crash, is found in the trailers on the next run
// and recorded with that commit; nothing is committed twice.
func TestCrashAfterPush(t *testing.T) {
	for _, tc := range []struct {
		name string
		// humanAfter pushes an unrelated commit on top of Ferry's, so that the
		// target alone (a no-op at the head) cannot explain the result.
		humanAfter bool
		// restart runs the retry in a new engine with a new Git clone, whose
		// depth-1 history does not reach below the head.
		restart bool
		// newer reports a newer release of the same application before the
		// retry: in the same batch, or committed before it (newerFirst).
		newer, newerFirst bool
	}{
		{name: "same process, Ferry's commit at the head"},
		{name: "same process, a human commit on top", humanAfter: true},
		{name: "restarted, Ferry's commit at the head", restart: true},
		{name: "restarted, a human commit on top", humanAfter: true, restart: true},
		{name: "restarted, a newer release in the same batch", restart: true, newer: true},
		{name: "restarted, a newer release committed first", humanAfter: true, restart: true, newer: true, newerFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, setup{})
			r := f.report("payments", "1.5.0")
			f.run()
			done := f.wait(r.Promotion.ID)
			if done.State != promotion.StateCommitted || done.Noop {
				t.Fatalf("first run: %s noop=%v %s", done.State, done.Noop, done.Reason)
			}
			pushed := done.CommitSHA
			if tc.humanAfter {
				f.humanPush("Scale payments", map[string]string{"README.md": "edited by a human\n"})
			}
			if tc.restart {
				f.stop()
				f.eng = f.newEngine()
			}
			var newer promotion.Reported
			if tc.newer {
				newer = f.report("payments", "1.6.0")
			}
			if tc.newerFirst {
				f.run()
				if q := f.wait(newer.Promotion.ID); q.State != promotion.StateCommitted {
					t.Fatalf("newer release: %s %s", q.State, q.Reason)
				}
			}
			count := f.commitCount()
			head := f.head()

			// What the store holds when the process died between push and record.
			p := done
			p.State, p.CommitSHA, p.Noop, p.Reason = promotion.StatePending, "", false, ""
			p.Attempts, p.NextAttemptAt = 1, time.Now().UTC()
			p.LeaseOwner, p.LeaseUntil = "", time.Time{}
			if err := f.store.UpdatePromotion(context.Background(), "", p); err != nil {
				t.Fatal(err)
			}
			if tc.restart && !tc.newerFirst {
				f.run()
			} else {
				f.eng.Kick()
			}
			got := f.wait(p.ID)
			if got.State != promotion.StateCommitted || got.Noop || got.CommitSHA != pushed {
				t.Errorf("after re-run: %s noop=%v commit=%s (%s), want committed at the pushed commit %s",
					got.State, got.Noop, got.CommitSHA, got.Reason, pushed)
			}
			if tc.newer && !tc.newerFirst {
				// The newer release makes the only new commit.
				q := f.wait(newer.Promotion.ID)
				if q.State != promotion.StateCommitted || q.CommitSHA != f.head() {
					t.Errorf("newer release: %s at %s, want committed at the head %s", q.State, q.CommitSHA, f.head())
				}
				if n := f.git("rev-list", "--count", head+"..main"); n != "1" {
					t.Errorf("%s new commits, want 1 (the newer release)", n)
				}
			} else if c, h := f.commitCount(), f.head(); c != count || h != head {
				t.Errorf("re-run made a commit: count %s→%s head %s→%s", count, c, head, h)
			}
			n := strings.Count(f.git("log", "--format=%(trailers:key=Ferry-Promotion,valueonly)", "main"), p.ID)
			if n != 1 {
				t.Errorf("promotion %s is in the trailers of %d commits, want 1", p.ID, n)
			}
		})
	}
}

// chainPipeline has stage promoted by commit after dev, and qa and prod by
// pull request.
const chainPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
  - name: qa
    from: dev
    promotion: pull-request
  - name: prod
    from: stage
    promotion: pull-request
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
    environments:
      qa:
        path: envs/stage/payments/kustomization.yaml
`

// TestChainCommitMode: a release committed into dev starts its promotion
// into every commit-mode environment promoted from dev, and only those.
func TestChainCommitMode(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": chainPipeline}})
	before := f.head()
	r := f.report("payments", "1.5.0")
	f.run()
	dev := f.wait(r.Promotion.ID)
	if dev.State != promotion.StateCommitted {
		t.Fatalf("dev: %s %s", dev.State, dev.Reason)
	}
	var stage promotion.Promotion
	eventually(t, "a promotion into stage", func() bool {
		ps := f.promotionsOf(r.Release.ID)["stage"]
		if len(ps) > 0 {
			stage = ps[0]
		}
		return len(ps) > 0
	})
	stage = f.wait(stage.ID)
	if stage.State != promotion.StateCommitted || stage.Noop {
		t.Fatalf("stage: %s noop=%v %s", stage.State, stage.Noop, stage.Reason)
	}
	if stage.CommitSHA == dev.CommitSHA || stage.CommitSHA != f.head() {
		t.Errorf("stage commit %s, dev commit %s, head %s: want stage's own commit at the head", stage.CommitSHA, dev.CommitSHA, f.head())
	}
	subject := f.git("log", "-1", "--format=%s", stage.CommitSHA)
	if want := "payments: stage ← 1.5.0 (" + r.Release.ShortDigest() + ")"; subject != want {
		t.Errorf("stage subject = %q, want %q", subject, want)
	}
	if files := f.git("diff", "--name-only", stage.CommitSHA+"~1", stage.CommitSHA); files != "envs/stage/payments/kustomization.yaml" {
		t.Errorf("stage commit changed %q", files)
	}
	if tr := f.trailers(stage.CommitSHA); !slices.Equal(tr[promotion.TrailerPromotion], []string{stage.ID}) ||
		!slices.Equal(tr[promotion.TrailerRelease], []string{r.Release.ID}) {
		t.Errorf("stage trailers = %v", tr)
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "2" {
		t.Errorf("%s commits, want 2 (dev, stage)", n)
	}

	// Pull-request environments start too: qa shares stage's file, which
	// already has the release (a no-op, no pull request); prod gets a
	// pull request on its ferry/ branch.
	var qa, prod promotion.Promotion
	eventually(t, "promotions into qa and prod", func() bool {
		all := f.promotionsOf(r.Release.ID)
		if len(all["qa"]) == 0 || len(all["prod"]) == 0 {
			return false
		}
		qa, prod = all["qa"][0], all["prod"][0]
		return qa.State.Terminal() && prod.State == promotion.StatePROpen
	})
	if qa.State != promotion.StateCommitted || !qa.Noop {
		t.Errorf("qa: %s noop=%v %s", qa.State, qa.Noop, qa.Reason)
	}
	if prod.PRBranch != "ferry/payments/prod" || f.git("rev-parse", "ferry/payments/prod") != prod.CommitSHA {
		t.Errorf("prod: branch %q commit %s", prod.PRBranch, prod.CommitSHA)
	}
	all := f.promotionsOf(r.Release.ID)
	if len(all["dev"]) != 1 || len(all["stage"]) != 1 {
		t.Errorf("promotions by environment: dev %d, stage %d; want 1 each", len(all["dev"]), len(all["stage"]))
	}
}
