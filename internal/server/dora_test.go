package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

// testDora reads the DORA metrics of the builds accepted earlier: payments
// 1.4.2 was committed into dev, reported without a source commit time, so
// its lead time runs from the report.
func testDora(t *testing.T, h *harness) {
	to := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	from := to.Add(-time.Hour).Format(time.RFC3339)
	q := url.Values{"application": {"payments"}, "from": {from}, "to": {to.Format(time.RFC3339)}, "bucket": {"1h"}}
	r := h.do(t, request{method: http.MethodGet, path: "/api/v1/metrics/dora?" + q.Encode(), token: tokRead})
	var rep api.DoraReport
	if err := json.Unmarshal(r.body, &rep); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET dora: %d %s", r.status, r.body)
	}
	var dev *api.DoraEnvironment
	for i := range rep.Environments {
		if rep.Environments[i].Environment == "dev" {
			dev = &rep.Environments[i]
		}
	}
	if dev == nil || dev.Totals.Deployments < 1 || dev.Totals.LeadTimeMeasuredFrom != "report" ||
		dev.Totals.LeadTimesFromReport != dev.Totals.Deployments || len(dev.Buckets) != 1 || rep.BucketSeconds != 3600 {
		t.Errorf("dev = %+v in %s", dev, r.body)
	}
	if rep.Overall.Deployments < dev.Totals.Deployments || rep.Overall.FailedChanges != 0 {
		t.Errorf("overall = %+v", rep.Overall)
	}

	for name, query := range map[string]string{
		"no application": "from=" + url.QueryEscape(from),
		"both":           "application=payments&set=shop",
		"bad from":       "application=payments&from=yesterday",
		"tiny bucket":    "application=payments&bucket=1m",
		"too many":       "application=payments&bucket=1h&from=2020-01-01T00:00:00Z",
		"empty window":   "application=payments&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
	} {
		r := h.do(t, request{method: http.MethodGet, path: "/api/v1/metrics/dora?" + query, token: tokRead,
			invalid: name == "bad from"})
		wantProblem(t, r, http.StatusBadRequest, "invalid_field")
	}
	// A release set is measured by name; one with no set release yet has
	// no environments.
	q.Del("application")
	q.Set("set", "shop")
	r = h.do(t, request{method: http.MethodGet, path: "/api/v1/metrics/dora?" + q.Encode(), token: tokRead})
	var set api.DoraReport
	if err := json.Unmarshal(r.body, &set); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET dora of a set: %d %s", r.status, r.body)
	}
	if set.Set != "shop" || set.Application != "" || len(set.Environments) != 0 || set.Overall.Deployments != 0 {
		t.Errorf("set report = %s", r.body)
	}
	if r := h.do(t, request{method: http.MethodGet, path: "/api/v1/metrics/dora?application=payments", token: tokStatuses}); r.status != http.StatusForbidden {
		t.Errorf("with a statuses token: %d", r.status)
	}
}
