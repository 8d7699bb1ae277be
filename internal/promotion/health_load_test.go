package promotion_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestHealthGateRefusedWhereNoStatusesAreRead: a pipeline with a health
// gate in a repository whose provider reads no commit statuses does not
// load; the pipeline's status says why, builds are refused, and nothing
// is written.
func TestHealthGateRefusedWhereNoStatusesAreRead(t *testing.T) {
	f := newFixture(t, setup{
		providers: map[string]promotion.Provider{"envs": hostedPRs{t}},
		files:     map[string]string{"ferry.yaml": strings.Replace(healthAndSignaturePipeline, "      signature: {keys: [{file: keys/ci.pub}]}\n", "", 1)},
	})
	before := f.commitCount()
	f.push("acme/payments", "1.0.0")
	_, err := f.eng.ReportBuild(context.Background(), f.build("payments", "1.0.0"), ci)
	if err == nil {
		t.Error("ReportBuild accepted a build of a pipeline that did not load")
	}
	var found bool
	for _, s := range f.eng.Pipelines() {
		if s.Repository == "envs" && strings.Contains(s.Error, "environment stage: gates.health reads commit statuses") {
			found = true
		}
	}
	if !found {
		t.Errorf("pipeline statuses %+v, want the refusal of envs's health gate", f.eng.Pipelines())
	}
	if got := f.commitCount(); got != before {
		t.Errorf("commits %s → %s after a refused pipeline", before, got)
	}
}
