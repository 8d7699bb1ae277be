package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryhq/ferry/api"
)

// TestNotifyRetriesStoreUnavailable answers the first report as Ferry does
// while its store is down (503 store_unavailable with Retry-After) and the
// second as accepted: notify waits as told, sends the same Idempotency-Key
// again and succeeds.
func TestNotifyRetriesStoreUnavailable(t *testing.T) {
	var calls atomic.Int32
	keys := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"code":"store_unavailable","detail":"the store is unavailable; try again"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(api.BuildResponse{
			Release:   api.Release{ID: "rel-1", Application: "payments"},
			Promotion: api.Promotion{ID: "prm-1", Environment: "dev", State: "pending"},
		})
	}))
	defer srv.Close()

	var stdout, stderr bytes.Buffer
	code := runNotify([]string{"--server", srv.URL, "--token", "t", "--retries", "2",
		"--application", "payments", "--image", "registry.example.com/payments", "--tag", "v1"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("notify exit %d, want 0\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server called %d times, want 2", n)
	}
	if first, second := <-keys, <-keys; first == "" || first != second {
		t.Errorf("Idempotency-Keys %q then %q, want the same key twice", first, second)
	}
	if !strings.Contains(stderr.String(), "retrying in 1s") {
		t.Errorf("stderr does not say it retries after Retry-After:\n%s", &stderr)
	}
}
