package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

// TestBrokenPipelineShown: after a ferry.yaml that does not load is pushed,
// the applications API (list and one), /readyz (still 200) and the web page
// say "pipeline at <sha> failed to load: <file:line: reason>; using <sha>",
// and /metrics counts the failure. Before, only the log said so.
func TestBrokenPipelineShown(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	good := git(t, h.bare, "rev-parse", "main")

	work := t.TempDir()
	git(t, "", "clone", "-q", "-b", "main", "file://"+h.bare, work)
	appendFile(t, work+"/ferry.yaml", "  - name: typo\n    imgae: nowhere/typo\n")
	git(t, work, "commit", "-qam", "break the pipeline")
	git(t, work, "push", "-q", "origin", "main")
	bad := git(t, work, "rev-parse", "HEAD")

	// Asking for an application the pipeline does not know re-reads it.
	want := "pipeline at " + bad[:12] + " failed to load: ferry.yaml:"
	var list api.ApplicationList
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.do(t, request{method: "GET", path: "/api/v1/applications/typo", token: tokRead})
		decode(t, h.do(t, request{method: "GET", path: "/api/v1/applications", token: tokRead}), http.StatusOK, &list)
		if len(list.Items) > 0 && strings.HasPrefix(list.Items[0].PipelineWarning, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(list.Items) == 0 {
		t.Fatal("no applications: the last good pipeline was dropped")
	}
	warning := list.Items[0].PipelineWarning
	if !strings.HasPrefix(warning, want) || !strings.Contains(warning, "field imgae not found") || !strings.HasSuffix(warning, "; using "+good[:12]) {
		t.Fatalf("pipeline_warning %q, want %q…field imgae not found…; using %s", warning, want, good[:12])
	}
	for _, a := range list.Items {
		if a.PipelineWarning != warning {
			t.Errorf("application %s: pipeline_warning %q, want %q", a.Name, a.PipelineWarning, warning)
		}
	}
	var app api.Application
	decode(t, h.do(t, request{method: "GET", path: "/api/v1/applications/payments", token: tokRead}), http.StatusOK, &app)
	if app.PipelineWarning != warning {
		t.Errorf("GET /applications/payments: pipeline_warning %q, want %q", app.PipelineWarning, warning)
	}

	res := h.do(t, request{method: "GET", path: "/readyz"})
	if res.status != http.StatusOK || string(res.body) != "ok\nwarning: repository env: "+warning {
		t.Errorf("/readyz = %d %q, want 200 with the warning", res.status, res.body)
	}
	res = h.do(t, request{method: "GET", path: "/", anon: true})
	if !strings.Contains(string(res.body), "repository env: pipeline at "+bad[:12]+" failed to load") {
		t.Errorf("the web page does not show the warning:\n%s", res.body)
	}
	res = h.do(t, request{method: "GET", path: "/metrics"})
	if !strings.Contains(string(res.body), "ferry_pipelines_stale 1\n") || !strings.Contains(string(res.body), "ferry_pipeline_load_failures_total ") ||
		strings.Contains(string(res.body), "ferry_pipeline_load_failures_total 0\n") {
		t.Errorf("/metrics lacks the stale pipeline and its failure count")
	}
}
