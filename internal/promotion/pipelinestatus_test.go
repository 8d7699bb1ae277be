package promotion_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// TestBrokenPipelineIsVisible: a ferry.yaml that does not load leaves the
// last good pipeline in use, and says so where people and machines look:
// the pipeline status, every application of the repository, the failure
// count; readiness holds. A fixed ferry.yaml clears the warning.
func TestBrokenPipelineIsVisible(t *testing.T) {
	f := newFixture(t, setup{cfg: promotion.Config{PipelineRefresh: 50 * time.Millisecond}})
	good := f.head()
	f.run()
	eventually(t, "the pipeline loads", func() bool { return f.eng.Pipelines()[0].Commit == good })

	pipeline := f.git("show", "main:ferry.yaml") + "\n" // git trims the last line break
	lines := strings.Count(pipeline, "\n")
	bad := f.humanPush("break the pipeline", map[string]string{
		"ferry.yaml": pipeline + "  - name: typo\n    imgae: REGISTRY/acme/typo\n",
	})
	eventually(t, "the failure shows", func() bool { return f.eng.Pipelines()[0].FailedCommit == bad })

	st := f.eng.Pipelines()[0]
	want := "pipeline at " + bad[:12] + " failed to load: ferry.yaml:" + strconv.Itoa(lines+2) + ": field imgae not found"
	if w := st.Warning(); !strings.HasPrefix(w, want) || !strings.HasSuffix(w, "; using "+good[:12]) || st.Commit != good || !st.Stale() {
		t.Errorf("status %+v\nwarning %q\nwant %q…; using %s", st, w, want, good[:12])
	}
	apps := f.eng.Applications(context.Background())
	if len(apps) == 0 {
		t.Fatal("no applications: the last good pipeline was dropped")
	}
	for _, a := range apps {
		if a.PipelineWarning != st.Warning() {
			t.Errorf("application %s: warning %q, want %q", a.Name, a.PipelineWarning, st.Warning())
		}
	}
	if n := f.eng.PipelineLoadFailures(); n < 1 {
		t.Errorf("PipelineLoadFailures = %d, want at least 1", n)
	}
	if err := f.eng.Ready(context.Background()); err != nil {
		t.Errorf("Ready = %v, want nil: the last good pipeline serves", err)
	}
	// Builds still go through, on the good pipeline.
	if p := f.wait(f.report("payments", "1.5.0").Promotion.ID); p.State != promotion.StateCommitted {
		t.Errorf("promotion on the last good pipeline: %s (%s)", p.State, p.Reason)
	}

	fixed := f.humanPush("fix the pipeline", map[string]string{"ferry.yaml": pipeline + "# fixed\n"})
	eventually(t, "the warning clears", func() bool {
		s := f.eng.Pipelines()[0]
		return s.Commit == fixed && !s.Stale() && s.Warning() == ""
	})
}
