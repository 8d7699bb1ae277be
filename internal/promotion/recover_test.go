package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/builtin"
)

// deepLook is what the engine logs when it looks beyond its local history.
const deepLook = "looked for earlier pushes beyond the local history"

// observedEngine is newEngine (a process with its own Git clone) whose
// logs the test reads.
func observedEngine(f *fixture) (*promotion.Engine, *observer.ObservedLogs) {
	f.t.Helper()
	g, err := gitrepo.Open(gitrepo.Config{URL: f.bare, Timeout: 5 * time.Second}, zaptest.NewLogger(f.t))
	if err != nil {
		f.t.Fatalf("gitrepo.Open: %v", err)
	}
	core, logs := observer.New(zap.InfoLevel)
	return promotion.New(f.cfg, promotion.Deps{
		Store:    f.store,
		Registry: f.reg,
		Repos:    []*promotion.Repo{{Name: "envs", Branch: "main", PipelineFile: "ferry.yaml", Git: g}},
		Builtin:  builtin.Providers(f.store, "", zap.New(core)),
		Log:      zap.New(core),
		Now:      f.now,
	}), logs
}

// TestCrashAfterPush: a promotion whose commit was pushed, but whose state
// was not recorded before a crash, is found in the trailers on the next run
// and recorded with that commit; nothing is committed twice. The look
// beyond the local history happens only where that history does not reach.
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
		// lostAnswer: the worker recorded a transient failure (the push's
		// answer was lost) and released the promotion; otherwise it died
		// holding its lease, which ran out.
		lostAnswer bool
	}{
		{name: "same process, Ferry's commit at the head"},
		{name: "same process, a human commit on top", humanAfter: true},
		{name: "restarted, Ferry's commit at the head", restart: true},
		{name: "restarted, a human commit on top", humanAfter: true, restart: true},
		{name: "restarted, a newer release in the same batch", restart: true, newer: true},
		{name: "restarted, a newer release committed first", humanAfter: true, restart: true, newer: true, newerFirst: true},
		{name: "answer lost, same process, a human commit on top", humanAfter: true, lostAnswer: true},
		{name: "answer lost, restarted, a human commit on top", humanAfter: true, restart: true, lostAnswer: true},
		{name: "answer lost, restarted, a newer release committed first", humanAfter: true, restart: true, newer: true, newerFirst: true, lostAnswer: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, setup{})
			var logs *observer.ObservedLogs
			f.eng, logs = observedEngine(f)
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
				f.eng, logs = observedEngine(f)
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
			looks := logs.FilterMessage(deepLook).Len()

			// What the store holds when the worker died between push and
			// record: its lease, run out (the next claim is a reclaim); or,
			// when the push's answer was lost, a failed attempt.
			p := done
			p.State, p.CommitSHA, p.Noop, p.Reason = promotion.StatePending, "", false, ""
			p.NextAttemptAt = time.Now().UTC()
			p.LeaseOwner, p.LeaseUntil = "wrk-dead", time.Now().UTC().Add(-time.Second)
			if tc.lostAnswer {
				p.Attempts, p.LeaseOwner, p.LeaseUntil = 1, "", time.Time{}
			}
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

			// Nothing before the crash looked further back; after it, only
			// a clone whose history starts above Ferry's commit must.
			if looks != 0 {
				t.Errorf("%d looks beyond the local history before the crash, want 0", looks)
			}
			after := logs.FilterMessage(deepLook).All()
			want := 0
			if tc.restart && tc.humanAfter {
				want = 1
			}
			if len(after) != want {
				t.Fatalf("%d looks beyond the local history after the crash, want %d", len(after), want)
			}
			for _, e := range after {
				if found := e.ContextMap()["found"]; found != int64(1) {
					t.Errorf("the look found %v promotions, want 1", found)
				}
			}
		})
	}
}

// TestNoDeepLookWithoutEarlierAttempt: a restarted process writes the
// promotions it claims for the first time from its fresh (depth-1) clone
// without looking beyond it, however old they are; a promotion released
// after an attempt that made no push is not looked for either.
func TestNoDeepLookWithoutEarlierAttempt(t *testing.T) {
	f := newFixture(t, setup{})
	old := f.report("payments", "1.5.0") // reported before the process starts
	f.humanPush("Scale payments", map[string]string{"README.md": "edited by a human\n"})
	var logs *observer.ObservedLogs
	f.eng, logs = observedEngine(f)
	f.run()
	if p := f.wait(old.Promotion.ID); p.State != promotion.StateCommitted || p.Noop {
		t.Fatalf("%s noop=%v %s", p.State, p.Noop, p.Reason)
	}
	fresh := f.report("checkout", "2.0.0")
	if p := f.wait(fresh.Promotion.ID); p.State != promotion.StateCommitted || p.Noop {
		t.Fatalf("%s noop=%v %s", p.State, p.Noop, p.Reason)
	}
	if n := logs.FilterMessage(deepLook).Len(); n != 0 {
		t.Errorf("%d looks beyond the local history, want 0", n)
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
	if tr := f.trailers(stage.CommitSHA); !slices.Equal(tr[commitmsg.KeyPromotion], []string{stage.ID}) ||
		!slices.Equal(tr[commitmsg.KeyRelease], []string{r.Release.ID}) {
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
	if !strings.HasPrefix(prod.PRBranch, "ferry/payments/prod.") || f.git("rev-parse", prod.PRBranch) != prod.CommitSHA {
		t.Errorf("prod: branch %q commit %s", prod.PRBranch, prod.CommitSHA)
	}
	all := f.promotionsOf(r.Release.ID)
	if len(all["dev"]) != 1 || len(all["stage"]) != 1 {
		t.Errorf("promotions by environment: dev %d, stage %d; want 1 each", len(all["dev"]), len(all["stage"]))
	}
}

// frozenDevPipeline freezes dev every Wednesday (UTC).
const frozenDevPipeline = `environments:
  - name: dev
    gates:
      freeze:
        - {from: "Wed 00:00", to: "Thu 00:00", timezone: UTC}
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

// TestCrashAfterPushThenGate: a promotion reclaimed from a worker that died
// after its push, but held back by a gate before any Git work, is still
// looked for beyond the local history when the gate opens (its Reclaimed
// does not outlive the claim, so the dead holder's attempt is counted).
func TestCrashAfterPushThenGate(t *testing.T) {
	// The Tuesday 23:00 (UTC) before now: commits are stamped with the real
	// time, which the look beyond the local history compares with the
	// promotion's creation.
	now := time.Now().UTC()
	tuesday := time.Date(now.Year(), now.Month(), now.Day(), 23, 0, 0, 0, time.UTC)
	for tuesday.Weekday() != time.Tuesday || tuesday.After(now) {
		tuesday = tuesday.AddDate(0, 0, -1)
	}
	clk := &clock{t: tuesday}
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": frozenDevPipeline}, now: clk.Now})
	r := f.report("payments", "1.5.0")
	f.run()
	done := f.wait(r.Promotion.ID)
	if done.State != promotion.StateCommitted || done.Noop {
		t.Fatalf("first run: %s noop=%v %s", done.State, done.Noop, done.Reason)
	}
	f.humanPush("Scale payments", map[string]string{"README.md": "edited by a human\n"})
	f.stop()
	var logs *observer.ObservedLogs
	f.eng, logs = observedEngine(f)
	count, head := f.commitCount(), f.head()

	// The worker died holding the lease after its push; the next claim
	// comes on Wednesday, in the freeze.
	wednesday := tuesday.Add(11 * time.Hour)
	p := done
	p.State, p.CommitSHA, p.Noop, p.Reason = promotion.StatePending, "", false, ""
	p.NextAttemptAt = tuesday
	p.LeaseOwner, p.LeaseUntil = "wrk-dead", tuesday.Add(time.Minute)
	if err := f.store.UpdatePromotion(context.Background(), "", p); err != nil {
		t.Fatal(err)
	}
	clk.Set(wednesday)
	f.run()
	waiting := f.awaitState(r.Release.ID, "dev", promotion.StateWaiting)
	if waiting.Attempts != 1 {
		t.Errorf("held back by the freeze with %d attempts, want 1 (the dead holder's)", waiting.Attempts)
	}

	clk.Set(tuesday.Add(25*time.Hour + time.Minute)) // Thursday 00:01
	got := f.awaitState(r.Release.ID, "dev", promotion.StateCommitted)
	if got.Noop || got.CommitSHA != done.CommitSHA {
		t.Errorf("after the freeze: noop=%v commit=%s (%s), want the pushed commit %s", got.Noop, got.CommitSHA, got.Reason, done.CommitSHA)
	}
	if c, h := f.commitCount(), f.head(); c != count || h != head {
		t.Errorf("made a commit after the freeze: count %s→%s head %s→%s", count, c, head, h)
	}
	if n := logs.FilterMessage(deepLook).Len(); n != 1 {
		t.Errorf("%d looks beyond the local history, want 1", n)
	}
}
