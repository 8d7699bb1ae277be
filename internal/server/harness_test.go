package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/contract"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/scm/builtin"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// Token values the harness configures (only their hashes reach the server).
const (
	tokAdmin    = "admin-token"       // builds:write and read, any application
	tokCI       = "ci-payments-token" // builds:write for payments only
	tokRead     = "read-token"        // read
	tokPromoter = "promoter-token"    // promotions:write only
	tokCheckout = "checkout-promoter" // promotions:write for checkout only
	tokStage    = "stage-promoter"    // promotions:write into stage only
	tokStatuses = "statuses-token"    // statuses:write only
)

// harness is a whole Ferry behind its HTTP API: a SQLite store on a temp
// file, an in-process OCI registry, a bare Git environment repo seeded from
// deploy/examples/env-repo, the promotion engine with its worker running,
// and the server, served over HTTP through the OpenAPI contract validator.
type harness struct {
	v      *contract.Validator
	store  *sqlite.Store
	engine *promotion.Engine
	bare   string // path of the bare environment repository

	regHost  string // host:port of the in-process registry
	downHost string // allowlisted host:port where nothing listens

	url     string // the API with tokens required
	anonURL string // the same API with anonymous reads allowed

	// Images pushed before the repository was seeded.
	paymentsDigest  v1.Hash // payments:1.4.2
	payments143     v1.Hash // payments:1.4.3
	otherDigest     v1.Hash // payments:other, to report a mismatch
	checkoutIndex   v1.Hash // checkout:3.0.0, a two-platform index
	checkoutArm64   v1.Hash // its linux/arm64 manifest
	notifierDigest  v1.Hash // notifier:0.9.1, already in apps/dev/notifier.yaml
	outbound        *hostLog
	mu              sync.Mutex                // one request at a time
	cur             atomic.Pointer[testing.T] // the test the request in flight reports to
	seedHead        string
	seedPaymentsDev []byte
	seedCheckoutDev []byte
}

// hostLog records the host of every request the registry verifier sends.
type hostLog struct {
	mu    sync.Mutex
	hosts map[string]int
	base  http.RoundTripper
}

func (l *hostLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.hosts[r.URL.Host]++
	l.mu.Unlock()
	return l.base.RoundTrip(r)
}

func (l *hostLog) count(host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hosts[host]
}

// git runs the git CLI apart from the machine's configuration.
var git = gittest.Git

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	var o harnessOptions
	for _, opt := range opts {
		opt(&o)
	}
	h := &harness{v: contract.New(t)}

	// Registry.
	h.regHost = imagetest.Start(t)
	h.paymentsDigest = imagetest.PushImage(t, h.regHost, "acme/payments", "1.4.2")
	h.payments143 = imagetest.PushImage(t, h.regHost, "acme/payments", "1.4.3")
	h.otherDigest = imagetest.PushImage(t, h.regHost, "acme/payments", "other")
	h.checkoutIndex, h.checkoutArm64 = imagetest.PushIndex(t, h.regHost, "acme/checkout", "3.0.0")
	h.notifierDigest = imagetest.PushImage(t, h.regHost, "acme/notifier", "0.9.1")

	// A port that was just free and is closed now: connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.downHost = ln.Addr().String()
	ln.Close()

	// Environment repository.
	h.bare = h.seedRepo(t, o.sets)
	h.seedHead = git(t, h.bare, "rev-parse", "main")

	// Store.
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	t.Cleanup(func() { st.Close() })

	h.outbound = &hostLog{hosts: map[string]int{}, base: http.DefaultTransport}
	verifier, err := registry.New(registry.Config{
		Hosts: []registry.Host{
			{Host: h.regHost, Insecure: true},
			{Host: h.downHost, Insecure: true},
		},
		Timeout:   5 * time.Second,
		Transport: h.outbound,
		// Keep the developer's ~/.docker/config.json out of the tests.
		Keychain: authn.NewMultiKeychain(),
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gitrepo.Open(gitrepo.Config{URL: h.bare, Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	h.engine = promotion.New(promotion.Config{
		BatchWindow:  0,
		PollInterval: 100 * time.Millisecond,
	}, promotion.Deps{
		Store:     st,
		Registry:  verifier,
		Repos:     []*promotion.Repo{{Name: "env", Branch: "main", PipelineFile: "ferry.yaml", Git: g}},
		Providers: o.providers,
		Builtin:   builtin.Providers(st, "", zap.NewNop()),
		Log:       zap.NewNop(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.engine.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done }) // before the store closes

	tokens := NewTokens([]config.Token{
		{Name: "admin", SHA256: HashToken(tokAdmin), Scopes: []string{scopeBuilds, scopeRead}, Applications: []string{"*"}},
		{Name: "ci-payments", SHA256: HashToken(tokCI), Scopes: []string{scopeBuilds}, Applications: []string{"payments"}},
		{Name: "reader", SHA256: HashToken(tokRead), Scopes: []string{scopeRead}},
		{Name: "promoter", SHA256: HashToken(tokPromoter), Scopes: []string{scopePromotions}, Applications: []string{"*"}},
		{Name: "checkout-promoter", SHA256: HashToken(tokCheckout), Scopes: []string{scopePromotions}, Applications: []string{"checkout"}},
		{Name: "stage-promoter", SHA256: HashToken(tokStage), Scopes: []string{scopePromotions}, Environments: []string{"stage"}},
		{Name: "deployer", SHA256: HashToken(tokStatuses), Scopes: []string{scopeStatuses}},
	})
	deps := Deps{Engine: h.engine, Tokens: tokens, Store: st, Log: zap.NewNop()}
	h.url = h.serve(t, New(Config{Version: "test"}, deps))
	h.anonURL = h.serve(t, New(Config{Version: "test", AnonymousRead: true}, deps))
	return h
}

// serve serves s through the contract validator; violations are reported to
// the test that sent the request.
func (h *harness) serve(t *testing.T, s *Server) string {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.v.For(h.cur.Load()).Handler(s.Handler()).ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// seedRepo makes a bare repository whose main branch holds a copy of
// deploy/examples/env-repo with the test registry's host, two more
// applications (one on a registry not on the allowlist, one on an
// allowlisted registry that is down) and notifier's dev manifest already
// pinned to the image pushed as notifier:0.9.1; with sets, release set shop
// of the example's three applications.
func (h *harness) seedRepo(t *testing.T, sets bool) string {
	t.Helper()
	work := t.TempDir()
	gittest.WriteExample(t, work, h.regHost)
	appendFile(t, filepath.Join(work, "ferry.yaml"), `
  # Test additions: a registry that is not allowlisted, one that is down.
  - name: evil
    image: evil.example.com/acme/evil
    target:
      kind: kustomize
      path: envs/{env}/evil/kustomization.yaml
  - name: down
    image: `+h.downHost+`/acme/down
    target:
      kind: kustomize
      path: envs/{env}/down/kustomization.yaml
`)
	if sets {
		appendFile(t, filepath.Join(work, "ferry.yaml"), `sets:
  - name: shop
    applications: [checkout, payments, notifier]
`)
	}
	notifier := filepath.Join(work, "apps", "dev", "notifier.yaml")
	b, err := os.ReadFile(notifier)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("acme/notifier:0.9.1"), []byte("acme/notifier:0.9.1@"+h.notifierDigest.String()))
	if err := os.WriteFile(notifier, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if h.seedPaymentsDev, err = os.ReadFile(filepath.Join(work, "envs", "dev", "payments", "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
	if h.seedCheckoutDev, err = os.ReadFile(filepath.Join(work, "charts", "checkout", "values-dev.yaml")); err != nil {
		t.Fatal(err)
	}

	return gittest.NewBare(t, work, "Seed environments")
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// request is one HTTP call to the API.
type request struct {
	method string
	path   string
	token  string // sent as a bearer token when not empty
	header map[string]string
	body   string
	// invalid marks a request the OpenAPI document refuses on purpose; the
	// validator checks that it does.
	invalid bool
	anon    bool // send to the server that allows anonymous reads
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and returns the answer. Requests run one at a time so that
// contract violations are reported to the test that sent them.
func (h *harness) do(t *testing.T, r request) response {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur.Store(t)
	base := h.url
	if r.anon {
		base = h.anonURL
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.invalid {
		req.Header.Set(contract.ExpectInvalidHeader, "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", r.method, r.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// wantProblem fails t unless res is a problem with that status and code.
func wantProblem(t *testing.T, res response, status int, code string) api.Problem {
	t.Helper()
	if res.status != status {
		t.Errorf("status %d, want %d; body: %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatalf("decoding problem %q: %v", res.body, err)
	}
	if p.Code != code {
		t.Errorf("code %q, want %q (detail: %s)", p.Code, code, p.Detail)
	}
	if p.Status != res.status {
		t.Errorf("problem status %d, HTTP status %d", p.Status, res.status)
	}
	return p
}

// decode decodes a JSON answer of status want into v.
func decode(t *testing.T, res response, want int, v any) {
	t.Helper()
	if res.status != want {
		t.Fatalf("status %d, want %d; body: %s", res.status, want, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
}

// written is what a request could have written: the environment branch
// head and the number of releases and promotions into dev (a build's own
// promotion; later environments start when dev completes) in the store.
type written struct {
	head                 string
	releases, promotions int
}

func (h *harness) written(t *testing.T) written {
	t.Helper()
	ctx := context.Background()
	w := written{head: git(t, h.bare, "rev-parse", "main")}
	rf := promotion.ReleaseFilter{Limit: 500}
	for {
		page, err := h.store.ListReleases(ctx, rf)
		if err != nil {
			t.Fatal(err)
		}
		w.releases += len(page.Items)
		if rf.Cursor = page.Next; rf.Cursor == "" {
			break
		}
	}
	pf := promotion.PromotionFilter{Environment: "dev", Limit: 500}
	for {
		page, err := h.store.ListPromotions(ctx, pf)
		if err != nil {
			t.Fatal(err)
		}
		w.promotions += len(page.Items)
		if pf.Cursor = page.Next; pf.Cursor == "" {
			break
		}
	}
	return w
}

// waitReady polls /readyz until the engine has loaded the pipeline.
func (h *harness) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := h.do(t, request{method: "GET", path: "/readyz"})
		if res.status == http.StatusOK {
			if string(res.body) != "ok" {
				t.Errorf("/readyz body %q, want ok", res.body)
			}
			return
		}
		wantProblem(t, res, http.StatusServiceUnavailable, "not_ready")
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after 10s: %s", res.status, res.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
