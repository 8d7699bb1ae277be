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
		// restart runs the retry in a new engine with a new Git clone.
		restart bool
	}{
		{name: "same process, Ferry's commit at the head"},
		{name: "same process, a human commit on top", humanAfter: true},
		{name: "restarted, Ferry's commit at the head", restart: true},
		// Not here: restarted with a human commit on top. A new clone is
		// depth 1 (internal/gitrepo), so the trailers below the head are out
		// of reach and the promotion is recorded as a no-op at the head.
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
			if tc.restart {
				f.run()
			} else {
				f.eng.Kick()
			}
			got := f.wait(p.ID)
			if got.State != promotion.StateCommitted || got.Noop || got.CommitSHA != pushed {
				t.Errorf("after re-run: %s noop=%v commit=%s, want committed at the pushed commit %s",
					got.State, got.Noop, got.CommitSHA, pushed)
			}
			if c, h := f.commitCount(), f.head(); c != count || h != head {
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

	// Give the worker time to (wrongly) start more, then look.
	time.Sleep(200 * time.Millisecond)
	all := f.promotionsOf(r.Release.ID)
	for _, env := range []string{"qa", "prod"} {
		if len(all[env]) != 0 {
			t.Errorf("pull-request environment %s got promotions %+v, want none", env, all[env])
		}
	}
	if len(all["dev"]) != 1 || len(all["stage"]) != 1 {
		t.Errorf("promotions by environment: dev %d, stage %d; want 1 each", len(all["dev"]), len(all["stage"]))
	}
}
