package promotion_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

const gatedPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
    gates: {soak: 1h}
  - name: prod
    from: stage
    promotion: commit
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

// TestGatesWaitAndProceed: a promotion held by a soak time or a freeze
// window is waiting, says why and until when, and proceeds on its own once
// the gate opens.
func TestGatesWaitAndProceed(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday
	clk := &clock{t: start}
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": gatedPipeline}, now: clk.Now})
	r := f.report("payments", "2.0.0")
	f.run()
	if dev := f.wait(r.Promotion.ID); dev.State != promotion.StateCommitted {
		t.Fatalf("dev: %s %s", dev.State, dev.Reason)
	}

	stage := f.awaitState(r.Release.ID, "stage", promotion.StateWaiting)
	if want := start.Add(time.Hour); !stage.NextAttemptAt.Equal(want) || !strings.Contains(stage.Reason, "soaking in dev for 1h0m0s") ||
		!strings.Contains(stage.Reason, want.Format(time.RFC3339)) {
		t.Errorf("stage waits until %s: %q", stage.NextAttemptAt, stage.Reason)
	}
	before := f.head()
	clk.Set(start.Add(59 * time.Minute))
	time.Sleep(200 * time.Millisecond) // ten polls: nothing may move yet
	if p := f.promotion(stage.ID); p.State != promotion.StateWaiting || f.head() != before {
		t.Fatalf("stage moved before its soak ended: %s", p.State)
	}

	clk.Set(start.Add(time.Hour + time.Second))
	if p := f.awaitState(r.Release.ID, "stage", promotion.StateCommitted); p.CommitSHA == before {
		t.Errorf("stage committed without a commit: %+v", p)
	}

	// prod is frozen all Wednesday (UTC): it waits for Thursday 00:00.
	prod := f.awaitState(r.Release.ID, "prod", promotion.StateWaiting)
	thursday := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if !prod.NextAttemptAt.Equal(thursday) || !strings.Contains(prod.Reason, "prod is frozen (Wed 00:00–Thu 00:00 UTC)") {
		t.Errorf("prod waits until %s: %q", prod.NextAttemptAt, prod.Reason)
	}
	clk.Set(thursday.Add(time.Minute))
	f.awaitState(r.Release.ID, "prod", promotion.StateCommitted)
	if got := f.git("show", "main:envs/prod/payments/kustomization.yaml"); !strings.Contains(got, r.Release.Digest) {
		t.Errorf("prod file lacks the release:\n%s", got)
	}
}

// awaitState waits for the release's promotion into env to reach st.
func (f *fixture) awaitState(releaseID, env string, st promotion.State) promotion.Promotion {
	f.t.Helper()
	var p promotion.Promotion
	eventually(f.t, "promotion into "+env+" "+string(st), func() bool {
		ps := f.promotionsOf(releaseID)[env]
		if len(ps) == 0 {
			return false
		}
		p = ps[0]
		return p.State == st
	})
	return p
}
