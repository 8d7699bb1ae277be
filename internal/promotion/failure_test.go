package promotion_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/promotion"
)

// failingPipeline adds to the example pipeline applications whose targets
// cannot be written.
const failingPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: pull-request
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
  - name: ghost
    image: REGISTRY/acme/ghost
    target:
      kind: kustomize
      path: envs/{env}/ghost/kustomization.yaml
  - name: broken
    image: REGISTRY/acme/broken
    target:
      kind: helm
      path: charts/broken/values-{env}.yaml
  - name: stray
    image: REGISTRY/acme/stray
    target:
      kind: manifest
      path: apps/{env}/notifier.yaml
`

// TestPermanentFailures: a target that cannot be written fails its
// promotion with the reason, at once and without a commit, and does not hold
// back the rest of the batch.
func TestPermanentFailures(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{
		"ferry.yaml":                    failingPipeline,
		"charts/broken/values-dev.yaml": "image:\n  repository: REGISTRY/acme/broken\n  tag: [1.0\n",
	}})
	before := f.head()
	ok := f.report("payments", "1.5.0")
	cases := []struct {
		app  string
		want []string // in the reason
	}{
		{"ghost", []string{"target file envs/dev/ghost/kustomization.yaml does not exist on branch main"}},
		{"broken", []string{"charts/broken/values-dev.yaml:2: invalid YAML"}},
		{"stray", []string{"apps/dev/notifier.yaml: no image: field of " + f.image("stray")}},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ids[c.app] = f.report(c.app, "1.0.0").Promotion.ID
	}
	f.run()
	for _, c := range cases {
		t.Run(c.app, func(t *testing.T) {
			p := f.wait(ids[c.app])
			if p.State != promotion.StateFailed {
				t.Fatalf("state = %s (%s), want failed", p.State, p.Reason)
			}
			for _, w := range c.want {
				if !strings.Contains(p.Reason, w) {
					t.Errorf("reason %q does not contain %q", p.Reason, w)
				}
			}
			if p.CommitSHA != "" || p.Attempts != 0 || !p.NextAttemptAt.IsZero() || p.LeaseOwner != "" {
				t.Errorf("failed promotion = %+v, want no commit, no attempt counted, no retry, no lease", p)
			}
		})
	}
	if p := f.wait(ok.Promotion.ID); p.State != promotion.StateCommitted {
		t.Errorf("payments in the same batch: %s %s, want committed", p.State, p.Reason)
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Errorf("%s commits, want 1 (payments)", n)
	}
	if tr := f.trailers("main"); len(tr[commitmsg.KeyPromotion]) != 1 {
		t.Errorf("trailers %v, want only payments'", tr)
	}
	if files := f.git("diff", "--name-only", before, "main"); files != devPayments {
		t.Errorf("files changed = %q, want only %s", files, devPayments)
	}
}

// TestTransientFailure: while the repository cannot be reached the
// promotion stays pending and is retried with a growing, capped, jittered
// backoff whose reason says what failed; once it is back the promotion
// completes.
func TestTransientFailure(t *testing.T) {
	clk := &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	const retryMax = 5 * time.Second
	f := newFixture(t, setup{now: clk.Now, cfg: promotion.Config{RetryMax: retryMax}})
	r := f.report("payments", "1.5.0") // loads the pipeline
	before := f.head()

	// The repository goes away after the pipeline was loaded.
	if err := os.Rename(f.bare, f.bare+".away"); err != nil {
		t.Fatal(err)
	}
	f.run()
	// Nominal delays before jitter: 2s, 4s, then capped at RetryMax.
	for attempt, nominal := range []time.Duration{2 * time.Second, 4 * time.Second, retryMax, retryMax} {
		attempt++
		var p promotion.Promotion
		eventually(t, "attempt "+strconv.Itoa(attempt), func() bool {
			p = f.promotion(r.Promotion.ID)
			return p.Attempts >= attempt
		})
		if p.Attempts != attempt || p.State != promotion.StatePending {
			t.Fatalf("after attempt %d: %s attempts=%d (%s)", attempt, p.State, p.Attempts, p.Reason)
		}
		now := clk.Now()
		delay := p.NextAttemptAt.Sub(now)
		lo, hi := time.Duration(float64(nominal)*0.8), time.Duration(float64(nominal)*1.2)
		if delay < lo || delay > hi {
			t.Errorf("attempt %d: next attempt in %v, want %v ±20%% [%v, %v]", attempt, delay, nominal, lo, hi)
		}
		for _, w := range []string{"attempt " + strconv.Itoa(attempt) + " failed", "writing to envs branch main", "retrying in"} {
			if !strings.Contains(p.Reason, w) {
				t.Errorf("attempt %d: reason %q does not contain %q", attempt, p.Reason, w)
			}
		}
		if attempt == 1 {
			t.Logf("reason: %s", p.Reason)
		}
		if p.LeaseOwner != "" {
			t.Errorf("attempt %d: lease still held by %q", attempt, p.LeaseOwner)
		}
		// Not due yet: nothing happens however often the worker looks.
		f.eng.Kick()
		time.Sleep(60 * time.Millisecond)
		if q := f.promotion(r.Promotion.ID); q.Attempts != attempt {
			t.Fatalf("attempt %d retried before it was due (attempts=%d)", attempt, q.Attempts)
		}
		clk.Set(p.NextAttemptAt)
		f.eng.Kick()
	}

	// The repository comes back.
	eventually(t, "attempt 5", func() bool { return f.promotion(r.Promotion.ID).Attempts >= 5 })
	if err := os.Rename(f.bare+".away", f.bare); err != nil {
		t.Fatal(err)
	}
	clk.Set(f.promotion(r.Promotion.ID).NextAttemptAt)
	f.eng.Kick()
	p := f.wait(r.Promotion.ID)
	if p.State != promotion.StateCommitted || p.CommitSHA != f.head() || p.Reason != "" {
		t.Fatalf("after recovery: %s commit=%s reason=%q, want committed at the head", p.State, p.CommitSHA, p.Reason)
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Errorf("%s commits, want 1", n)
	}
	if p.Attempts != 5 {
		t.Errorf("attempts = %d, want the 5 failed ones kept", p.Attempts)
	}
}
