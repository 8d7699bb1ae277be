package crash

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// TestStoreDownIsUnavailable runs ferry on PostgreSQL through a TCP proxy
// and then takes the database away (the proxy stops: connections cut, new
// ones refused). A build report without an Idempotency-Key and a list of
// promotions, each reaching the store by its own path, answer 503
// store_unavailable with Retry-After, the documented answer that clients
// such as ferry notify retry, not 500 internal.
func TestStoreDownIsUnavailable(t *testing.T) {
	dsn := ferrytest.FreshDatabase(t, ferrytest.PostgresDSN(t), "storedown")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := ferrytest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()

	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare, "  pollInterval: 200ms\n")
	ferrytest.UsePostgres(t, cfg, u.String())
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)
	digest, err := reg.Push("acme/payments", "v1")
	if err != nil {
		t.Fatal(err)
	}

	proxy.Stop()

	body, _ := json.Marshal(api.BuildRequest{Application: "payments", Image: reg.Host + "/acme/payments", Tag: "v1", Digest: digest})
	var buildStatus int
	for _, c := range []struct {
		name, method, path, token string
		body                      []byte
	}{
		{"POST /api/v1/builds", http.MethodPost, "/api/v1/builds", ferrytest.CIToken, body},
		{"GET /api/v1/promotions", http.MethodGet, "/api/v1/promotions", ferrytest.ReadToken, nil},
	} {
		req, err := http.NewRequest(c.method, f.URL+c.path, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if c.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var problem struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(b, &problem)
		if c.method == http.MethodPost {
			buildStatus = resp.StatusCode
		}
		if resp.StatusCode != http.StatusServiceUnavailable || problem.Code != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the store down = %d %s (Retry-After %q), want 503 store_unavailable with Retry-After",
				c.name, resp.StatusCode, b, resp.Header.Get("Retry-After"))
		}
	}
	// The build report's status; the list's, if it differs, failed above.
	measured("store_down_status", "%d", buildStatus)
	t.Logf("store_down_status=%d", buildStatus)
}
