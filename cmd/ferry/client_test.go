package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClientTrustsFerryCACert: the CLI reaches a Ferry serving HTTPS with a
// private CA's certificate once FERRY_CACERT (or notify's --cacert) names
// that CA, and not before; a CA file that does not load stops notify with
// a usage error instead of retries.
func TestClientTrustsFerryCACert(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Setenv("FERRY_CACERT", "")
	var out map[string]any
	if _, err := newClient(srv.URL, "t", 5*time.Second).do(ctx, http.MethodGet, "/api/v1/applications", nil, nil, &out); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v, want a certificate error", err)
	}
	t.Setenv("FERRY_CACERT", ca)
	if _, err := newClient(srv.URL, "t", 5*time.Second).do(ctx, http.MethodGet, "/api/v1/applications", nil, nil, &out); err != nil {
		t.Errorf("with FERRY_CACERT: %v", err)
	}

	t.Setenv("FERRY_CACERT", "")
	var stderr bytes.Buffer
	code := runNotify([]string{"--server", srv.URL, "--token", "t", "--application", "a", "--image", "r/a", "--tag", "1",
		"--cacert", filepath.Join(t.TempDir(), "missing.pem")}, &bytes.Buffer{}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "reading CA certificates") {
		t.Errorf("notify with a missing --cacert: exit %d, %q; want 2 naming the problem", code, stderr.String())
	}
}
