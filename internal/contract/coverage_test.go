package contract

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestCoverage(t *testing.T) {
	shared := New(nil) // as built in TestMain
	v := shared.For(t)
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	}))
	for _, path := range []string{"/readyz", "/healthz", "/healthz"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	if got, want := shared.Covered(), []string{"getHealthz", "getReadyz"}; !slices.Equal(got, want) {
		t.Errorf("Covered() = %v, want %v", got, want)
	}
	if got := len(shared.Uncovered()); got != 25 {
		t.Errorf("%d operations uncovered, want 25: %v", got, shared.Uncovered())
	}

	rec := &recordingTB{TB: t}
	shared.AssertAllCovered(rec)
	errs := rec.errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "createBuild") || strings.Contains(errs[0], "getHealthz") {
		t.Errorf("AssertAllCovered reported %q, want one error naming createBuild and not getHealthz", errs)
	}

	// Exercise the rest, each answered with an error the document allows.
	all := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal"}`)
	}))
	for _, path := range []string{"/api/v1/releases", "/api/v1/releases/r1", "/api/v1/promotions", "/api/v1/promotions/p1", "/api/v1/applications", "/api/v1/applications/a", "/api/v1/deliveries", "/api/v1/pins", "/api/v1/metrics/dora?application=a", "/api/v1/release-sets", "/api/v1/release-sets/s1"} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer x")
		all.ServeHTTP(httptest.NewRecorder(), r)
	}
	r := httptest.NewRequest("POST", "/api/v1/builds", strings.NewReader(goodBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer x")
	all.ServeHTTP(httptest.NewRecorder(), r)
	r = httptest.NewRequest("POST", "/api/v1/hooks/ci/builds", strings.NewReader(goodBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("webhook-id", "msg_1")
	r.Header.Set("webhook-timestamp", "1740824130")
	r.Header.Set("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")
	all.ServeHTTP(httptest.NewRecorder(), r)
	for path, body := range map[string]string{
		"/api/v1/promotions":              `{"application":"a","environment":"prod","release":"1.0.0"}`,
		"/api/v1/promotions/p1/approve":   "",
		"/api/v1/promotions/p1/cancel":    `{"reason":"no"}`,
		"/api/v1/deliveries/d1/redeliver": "",
		"/api/v1/release-sets":            `{"set":"shop","builds":[{"application":"a","image":"app","tag":"v1"}]}`,
		"/api/v1/release-sets/s1/promote": `{"environment":"prod"}`,
		"/api/v1/statuses":                `{"repository":"envs","sha":"97d63b48110965b4a8ee13fdb6287a929fc5a555","context":"ci","state":"success"}`,
	} {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Authorization", "Bearer x")
		all.ServeHTTP(httptest.NewRecorder(), r)
	}
	r = httptest.NewRequest("DELETE", "/api/v1/pins/payments/prod", nil)
	r.Header.Set("Authorization", "Bearer x")
	all.ServeHTTP(httptest.NewRecorder(), r)
	r = httptest.NewRequest("POST", "/api/v1/scm/envs/webhook", strings.NewReader(`{"action":"closed"}`))
	r.Header.Set("Content-Type", "application/json")
	all.ServeHTTP(httptest.NewRecorder(), r)
	for _, path := range []string{"/metrics", "/", "/openapi.yaml"} {
		all.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	rec = &recordingTB{TB: t}
	shared.AssertAllCovered(rec)
	if errs := rec.errors(); len(errs) != 0 {
		t.Errorf("AssertAllCovered after every operation: %q", errs)
	}
}

func TestHandlerNeedsT(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handler on New(nil) did not panic")
		}
	}()
	New(nil).Handler(http.NotFoundHandler())
}
