package promotion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestPipelineChangeReleasesWaitingPromotion: a promotion waiting on a
// freeze is released as soon as a ferry.yaml without the freeze loads, not
// when the freeze would have ended, and its history says why (issue 13.11).
func TestPipelineChangeReleasesWaitingPromotion(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday: prod is frozen
	clk := &clock{t: start}
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": gatedPipeline},
		now: clk.Now, cfg: promotion.Config{PipelineRefresh: 50 * time.Millisecond}})
	r := f.report("payments", "2.0.0")
	f.run()
	f.wait(r.Promotion.ID)
	clk.Set(start.Add(time.Hour + time.Second)) // past stage's soak
	f.awaitState(r.Release.ID, "stage", promotion.StateCommitted)
	prod := f.awaitState(r.Release.ID, "prod", promotion.StateWaiting)
	if !strings.Contains(prod.Reason, "frozen") {
		t.Fatalf("prod waits for %q, want the freeze", prod.Reason)
	}

	unfrozen := strings.Replace(gatedPipeline, `    gates:
      freeze:
        - {from: "Wed 00:00", to: "Thu 00:00", timezone: UTC}
`, "", 1)
	if unfrozen == gatedPipeline {
		t.Fatal("the test pipeline has no freeze to lift")
	}
	head := f.humanPush("Lift the prod freeze", map[string]string{"ferry.yaml": strings.ReplaceAll(unfrozen, "REGISTRY", f.host)})

	// A minute on (the pipelines are re-read on the engine's clock), the
	// freeze would still hold until Thursday: only the change releases it.
	clk.Set(start.Add(time.Hour + time.Minute))
	f.awaitState(r.Release.ID, "prod", promotion.StateCommitted)
	ts, err := f.store.Transitions(context.Background(), prod.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	found := false
	for _, tr := range ts {
		notes = append(notes, string(tr.State)+": "+tr.Reason)
		if tr.State == promotion.StatePending && strings.Contains(tr.Reason, "released by a pipeline change (ferry.yaml at "+head[:12]+")") {
			found = true
		}
	}
	if !found {
		t.Errorf("history does not say the pipeline change released it:\n%s", strings.Join(notes, "\n"))
	}
}
