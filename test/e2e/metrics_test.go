package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// scrape reads /metrics of f as name{labels} → value lines.
type scrape []string

func (f *ferry) scrape(t *testing.T) scrape {
	t.Helper()
	r := f.call(t, http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.status, r.body)
	}
	var s scrape
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			s = append(s, l)
		}
	}
	return s
}

// sum adds the values of the series called name that carry every label
// pair given as "key=value"; found says whether any did.
func (s scrape) sum(name string, labels ...string) (total float64, found bool) {
	for _, l := range s {
		series, value, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		n, set, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		match := true
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if !strings.Contains(set, k+`="`+v+`"`) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err == nil {
			total, found = total+f, true
		}
	}
	return total, found
}

// TestMetricsMoveWithTheFlow scrapes /metrics of the real binary after a
// release went to dev by commit and to stage by a pull request on the fake
// GitHub, a build was refused by the registry, and Git host deliveries came
// in: each operator series moved as the flow says.
func TestMetricsMoveWithTheFlow(t *testing.T) {
	gs := startGitHubStack(t)
	r100, _ := gs.build(t, "1.0.0")
	stage := gs.await(t, r100, "stage", "pr-open")
	// A tag the registry does not have: refused, and counted as a 404.
	if r := gs.call(t, http.MethodPost, "/api/v1/builds", ciToken,
		buildBody("payments", gs.reg.host+"/acme/payments", "9.9.9", "")); r.status < 400 {
		t.Fatalf("build of a missing tag: %d %s", r.status, r.body)
	}
	// One delivery that verifies, one that does not.
	gs.hook(t, "pull_request_review", "d-metrics-review", gs.gh.ReviewHook(stage.PRNumber, "alice"))
	if r := gs.call(t, http.MethodPost, "/api/v1/scm/envs/webhook", "", `{}`,
		"X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-forged", "X-Hub-Signature-256", "sha256=00"); r.status < 400 {
		t.Fatalf("forged delivery: %d %s", r.status, r.body)
	}

	s := gs.f.scrape(t)
	ghHost := mustHost(t, gs.gh.URL)
	atLeast := func(min float64, name string, labels ...string) {
		t.Helper()
		v, ok := s.sum(name, labels...)
		if !ok || v < min {
			t.Errorf("%s%v = %v (found %v), want at least %v", name, labels, v, ok, min)
		}
	}
	exactly := func(want float64, name string, labels ...string) {
		t.Helper()
		if v, ok := s.sum(name, labels...); !ok || v != want {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, v, ok, want)
		}
	}
	// Promotions, from the store.
	exactly(1, "ferry_promotions", "state=committed", "environment=dev")
	exactly(1, "ferry_promotions", "state=pr-open", "environment=stage")
	atLeast(0, "ferry_promotion_queue_depth")
	atLeast(0, "ferry_promotion_queue_oldest_due_seconds")
	atLeast(0, "ferry_promotion_time_in_state_seconds", "state=pr-open")
	// Git: the dev commit and the stage branch were pushed, after fetches.
	atLeast(2, "ferry_git_operation_duration_seconds_count", "operation=push", "result=ok")
	atLeast(1, "ferry_git_operation_duration_seconds_count", "operation=fetch", "result=ok")
	// Registry: the release's manifest was found, the missing tag was not.
	atLeast(1, "ferry_registry_request_duration_seconds_count", "code=200")
	atLeast(1, "ferry_registry_request_failures_total", "code=404")
	// The Git host: the pull request was opened with a POST that succeeded.
	atLeast(1, "ferry_scm_request_duration_seconds_count", "host="+ghHost, "operation=POST", "result=201")
	atLeast(1, "ferry_scm_request_duration_seconds_count", "host="+ghHost, "operation=GET")
	// Webhooks in: one accepted, one refused by its signature.
	exactly(1, "ferry_webhook_deliveries_received_total", "source=scm", "result=accepted")
	if v, _ := s.sum("ferry_webhook_deliveries_received_total", "source=scm"); v != 2 {
		t.Errorf("scm deliveries counted %v, want 2", v)
	}
	exactly(1, "ferry_builds_total", "result=accepted")
	exactly(0, "ferry_pipeline_load_failures_total")
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
