package e2e

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/internal/registry/imagetest"
	registrytest "github.com/ferryhq/ferry/test/registry"
)

// Secret values the security test configures; each must never come out.
const (
	secCIToken      = "sek-ci-token-6b1f0e9d2c7a4e58"
	secReadToken    = "sek-read-token-93c0a1f4b8d27e65"
	secRotatedToken = "sek-rotated-token-0d4e7b2a9c1f86"
	secWrongRegPass = "sek-wrong-registry-password-51e2"
)

var (
	hookKeyOld = []byte("sek-hook-old-key-0123456789abcdef")
	hookKeyNew = []byte("sek-hook-new-key-fedcba9876543210")
	whsecOld   = "whsec_" + base64.StdEncoding.EncodeToString(hookKeyOld)
	whsecNew   = "whsec_" + base64.StdEncoding.EncodeToString(hookKeyNew)
)

// sign is the Standard Webhooks signature, written here from the spec
// rather than taken from the server package.
func sign(key []byte, id string, ts int64, body string) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// transcript keeps every answer the test received, to search for secrets.
type transcript struct {
	mu sync.Mutex
	b  strings.Builder
}

func (tr *transcript) add(r response) response {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	fmt.Fprintf(&tr.b, "%d\n", r.status)
	_ = r.header.Write(&tr.b)
	tr.b.Write(r.body)
	tr.b.WriteString("\n")
	return r
}

func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.b.String()
}

func pushWith(t *testing.T, host, repo, tag string, opts ...remote.Option) string {
	t.Helper()
	return imagetest.PushImage(t, host, repo, tag, opts...).String()
}

const securityConfig = `listen: %[1]s
dataDir: %[2]s
registries:
  - host: %[3]s
    insecure: true
    username: ferry
    password: {env: FERRY_TEST_REG_PASS}
  - host: %[4]s
    insecure: true
    username: ferry
    password: {env: FERRY_TEST_REG_WRONG}
repositories:
  - name: envs
    url: %[5]s
    branch: main
    author: {name: Ferry Test, email: ferry@test.local}
tokens:
  - name: ci
    sha256: %[6]s
    scopes: [builds:write]
    applications: [payments, locked]
  - name: reader
    sha256: %[7]s
    scopes: [read]
webhooks:
  - name: ci-hook
    secrets: [%[8]s]
    applications: [payments]
worker:
  batchWindow: 0s
  pollInterval: 500ms
log:
  level: debug
`

// TestSecretsNeverLeak configures distinct secrets (API tokens, webhook
// secrets, registry passwords from the environment), drives successes and
// failures through the real binary, rotates a token and a webhook secret by
// editing the config file, and then searches the server's whole output,
// every answer, the notify CLI's output and the environment repo's history
// for each secret: none may appear.
func TestSecretsNeverLeak(t *testing.T) {
	regA, user, pass := registrytest.StartDockerRegistry(t)
	regB, userB, passB := registrytest.StartDockerRegistry(t)
	credsA := remote.WithAuth(&authn.Basic{Username: user, Password: pass})
	d200 := pushWith(t, regA, "acme/payments", "2.0.0", credsA)
	pushWith(t, regA, "acme/payments", "2.0.1", credsA)
	pushWith(t, regA, "acme/payments", "2.0.2", credsA)
	pushWith(t, regB, "acme/locked", "1.0.0", remote.WithAuth(&authn.Basic{Username: userB, Password: passB}))

	pipeline := strings.ReplaceAll(readExample(t, "ferry.yaml"), "registry.example.com", regA) + `
  - name: locked
    image: ` + regB + `/acme/locked
    target: {kind: kustomize, path: "envs/{env}/locked/kustomization.yaml"}
`
	bare := envRepo(t, regA, map[string]string{"ferry.yaml": pipeline})
	// Ferry gets the right password for A, a wrong one for B.
	t.Setenv("FERRY_TEST_REG_PASS", pass)
	t.Setenv("FERRY_TEST_REG_WRONG", secWrongRegPass)
	t.Setenv("FERRY_TEST_WHSEC_NEW", whsecNew)
	addr, data := freeAddr(t), t.TempDir()
	cfgPath := writeConfig(t, fmt.Sprintf(securityConfig, addr, data, regA, regB, bare,
		sha(secCIToken), sha(secReadToken), whsecOld+", {env: FERRY_TEST_WHSEC_NEW}"))
	f := startFerry(t, addr, "--config", cfgPath)

	var tr transcript
	var cli strings.Builder
	post := func(path, token, body string, headers ...string) response {
		return tr.add(f.call(t, http.MethodPost, path, token, strings.NewReader(body), headers...))
	}
	hook := func(key []byte, id string, ts int64, body string) response {
		return post("/api/v1/hooks/ci-hook/builds?wait=30s", "", body,
			"webhook-id", id, "webhook-timestamp", strconv.FormatInt(ts, 10), "webhook-signature", sign(key, id, ts, body))
	}
	image := regA + "/acme/payments"

	t.Run("build with a token", func(t *testing.T) {
		r := post("/api/v1/builds?wait=30s", secCIToken, buildBody("payments", image, "2.0.0", d200), "Idempotency-Key", "run-1")
		if r.status != http.StatusAccepted || !strings.Contains(string(r.body), `"state":"committed"`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		assertProblem(t, post("/api/v1/builds", "sek-not-a-token", buildBody("payments", image, "2.0.0", "")), 401, "unauthorized")
	})
	body201 := buildBody("payments", image, "2.0.1", "")
	t.Run("signed webhook, new secret", func(t *testing.T) {
		r := hook(hookKeyNew, "msg_1", time.Now().Unix(), body201)
		if r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.body)
		}
		// The same delivery signed with the old secret: replayed.
		if r2 := hook(hookKeyOld, "msg_1", time.Now().Unix(), body201); r2.status != r.status || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed delivery: %d %q", r2.status, r2.header.Get("Idempotent-Replayed"))
		}
	})
	t.Run("bad signatures", func(t *testing.T) {
		assertProblem(t, hook([]byte("sek-not-the-key-0123456789abcdef"), "msg_2", time.Now().Unix(), body201), 401, "bad_signature")
		assertProblem(t, hook(hookKeyOld, "msg_2", time.Now().Add(-6*time.Minute).Unix(), body201), 401, "bad_signature")
	})
	t.Run("registry refuses Ferry's password", func(t *testing.T) {
		r := post("/api/v1/builds", secCIToken, buildBody("locked", regB+"/acme/locked", "1.0.0", ""))
		assertProblem(t, r, http.StatusServiceUnavailable, "registry_auth_failed")
	})
	t.Run("notify signs with FERRY_WEBHOOK_SECRET", func(t *testing.T) {
		code, out := run(t, []string{"FERRY_SERVER=" + f.url, "FERRY_WEBHOOK_SECRET=" + whsecOld, "FERRY_TOKEN="},
			"notify", "--sender", "ci-hook", "--application", "payments", "--image", image, "--tag", "2.0.2", "--wait", "60s")
		cli.WriteString(out)
		if code != 0 || !strings.Contains(out, "dev: committed") {
			t.Errorf("notify exit %d:\n%s", code, out)
		}
		code, out = run(t, []string{"FERRY_SERVER=" + f.url, "FERRY_WEBHOOK_SECRET=" + whsecOld},
			"notify", "--sender", "ci-hook", "--application", "payments", "--image", image, "--tag", "2.0.2", "--retries", "0",
			"--idempotency-key", "x", "--source-commit", "abc")
		cli.WriteString(out)
		if code != 1 {
			t.Errorf("notify with a bad field: exit %d, want 1:\n%s", code, out)
		}
	})
	t.Run("reads", func(t *testing.T) {
		for _, p := range []string{"/api/v1/releases", "/api/v1/promotions", "/api/v1/applications/payments", "/metrics", "/"} {
			if r := tr.add(f.call(t, http.MethodGet, p, secReadToken, nil)); r.status != http.StatusOK {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}
	})
	t.Run("a 2 MiB header is refused", func(t *testing.T) {
		if status := bigHeader(t, addr, 2<<20); status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", status)
		}
	})

	t.Run("rotation by editing the config file", func(t *testing.T) {
		rotated := fmt.Sprintf(securityConfig, addr, data, regA, regB, bare,
			sha(secRotatedToken), sha(secReadToken), "{env: FERRY_TEST_WHSEC_NEW}")
		if err := os.WriteFile(cfgPath, []byte(rotated), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the rotated token to work", func() bool {
			return tr.add(f.call(t, http.MethodPost, "/api/v1/builds", secRotatedToken, strings.NewReader(body201))).status == http.StatusOK
		})
		assertProblem(t, post("/api/v1/builds", secCIToken, body201), 401, "unauthorized")
		assertProblem(t, hook(hookKeyOld, "msg_3", time.Now().Unix(), body201), 401, "bad_signature")
		if r := hook(hookKeyNew, "msg_3", time.Now().Unix(), body201); r.status != http.StatusOK {
			t.Errorf("new secret after rotation: %d %s", r.status, r.body)
		}

		// A broken file keeps what was loaded, and the log says why.
		if err := os.WriteFile(cfgPath, []byte(rotated+"tokens: [oops\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the reload error in the log", func() bool {
			return strings.Contains(f.output(), "keeping the old tokens and webhook secrets")
		})
		if r := post("/api/v1/builds", secRotatedToken, body201); r.status != http.StatusOK {
			t.Errorf("after a broken config: %d %s", r.status, r.body)
		}
	})

	basic := func(u, p string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":" + p)) }
	secrets := map[string]string{
		"ci token": secCIToken, "read token": secReadToken, "rotated token": secRotatedToken,
		"registry password": pass, "registry basic auth": basic("ferry", pass),
		"wrong registry password": secWrongRegPass, "wrong registry basic auth": basic("ferry", secWrongRegPass),
		"old webhook secret": strings.TrimPrefix(whsecOld, "whsec_"), "new webhook secret": strings.TrimPrefix(whsecNew, "whsec_"),
		"old webhook key": string(hookKeyOld), "new webhook key": string(hookKeyNew),
	}
	history := gitOut(t, bare, "log", "-p", "--all")
	if !strings.Contains(history, "2.0.2") {
		t.Fatalf("git log -p --all does not show the builds:\n%s", history)
	}
	where := map[string]string{"server output": f.output(), "API answers": tr.String(), "notify output": cli.String(), "git log -p --all": history}
	if len(where["server output"]) < 1000 || len(where["API answers"]) < 1000 {
		t.Fatalf("too little was captured to search: %d and %d bytes", len(where["server output"]), len(where["API answers"]))
	}
	for what, secret := range secrets {
		for place, text := range where {
			if n := strings.Count(text, secret); n != 0 {
				t.Errorf("%s: the %s appears %d times", place, what, n)
			}
		}
	}
}

// gitOut runs git in dir and returns its whole output.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// bigHeader sends a request with a header of n bytes over a raw connection
// and returns the status of the answer.
func bigHeader(t *testing.T, addr string, n int) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		// The server answers before it has read everything; write errors are expected.
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", addr, strings.Repeat("a", n))
		_ = w.Flush()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond for up to 15 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// faultyRegistry is go-containerregistry's in-process registry with a
// switch that makes manifest requests fail in one way or another.
type faultyRegistry struct {
	inner http.Handler
	mu    sync.Mutex
	mode  string
}

func (f *faultyRegistry) set(mode string) {
	f.mu.Lock()
	f.mode = mode
	f.mu.Unlock()
}

func (f *faultyRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode := f.mode
	f.mu.Unlock()
	if mode == "" || !strings.Contains(r.URL.Path, "/manifests/") {
		f.inner.ServeHTTP(w, r)
		return
	}
	fail := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"test"}]}`, code)
	}
	switch mode {
	case "401":
		fail(http.StatusUnauthorized, "UNAUTHORIZED")
	case "404":
		fail(http.StatusNotFound, "MANIFEST_UNKNOWN")
	case "429":
		w.Header().Set("Retry-After", "1")
		fail(http.StatusTooManyRequests, "TOOMANYREQUESTS")
	case "500":
		fail(http.StatusInternalServerError, "UNKNOWN")
	case "slow":
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
			return
		}
		f.inner.ServeHTTP(w, r)
	case "wrong-digest":
		rec := httptest.NewRecorder()
		f.inner.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// TestBadInputWritesNothing: registries that misbehave, and signed
// deliveries whose bodies are hostile. Each gets its exact status and code,
// and nothing is written: the repo head and the store's counts stay.
func TestBadInputWritesNothing(t *testing.T) {
	fr := &faultyRegistry{inner: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(fr)
	t.Cleanup(srv.Close)
	reg := &testRegistry{host: strings.TrimPrefix(srv.URL, "http://")}
	digest := reg.push(t, "acme/payments", "3.0.0")

	s := &stack{reg: reg, data: t.TempDir()}
	pipeline := strings.ReplaceAll(readExample(t, "ferry.yaml"), "registry.example.com", reg.host) + extraApps
	s.bare = envRepo(t, reg.host, map[string]string{"ferry.yaml": pipeline})
	addr := freeAddr(t)
	extra := "webhooks:\n  - name: ci-hook\n    secrets: [" + whsecOld + "]\n    applications: [payments]\n" +
		"limits:\n  registryTimeout: 1s\n"
	s.f = startFerry(t, addr, "--config", writeConfig(t, serverConfig(addr, s.data, reg.host, s.bare, extra)))

	image := reg.host + "/acme/payments"
	ok := buildBody("payments", image, "3.0.0", "")
	withDigest := buildBody("payments", image, "3.0.0", digest)
	head := s.head(t)
	releases, promotions := s.count(t, "/api/v1/releases"), s.count(t, "/api/v1/promotions")
	unchanged := func(t *testing.T) {
		t.Helper()
		if got := s.head(t); got != head {
			t.Errorf("repo head moved to %s", got)
		}
		if n := s.count(t, "/api/v1/releases"); n != releases {
			t.Errorf("releases: %d, want %d", n, releases)
		}
		if n := s.count(t, "/api/v1/promotions"); n != promotions {
			t.Errorf("promotions: %d, want %d", n, promotions)
		}
	}

	for _, tc := range []struct {
		mode   string
		status int
		code   string
	}{
		{"401", 503, "registry_auth_failed"},
		{"404", 422, "tag_not_found"},
		{"429", 503, "registry_rate_limited"},
		{"500", 503, "registry_unavailable"},
		{"slow", 503, "registry_unavailable"},
		// With the digest CI pushed, the header's lie is caught against the
		// manifest bytes. (A tag-only report trusts the HEAD answer: see the
		// README's "Reliability and security".)
		{"wrong-digest", 503, "registry_digest_inconsistent"},
	} {
		t.Run("registry "+tc.mode, func(t *testing.T) {
			fr.set(tc.mode)
			defer fr.set("")
			start := time.Now()
			r := s.f.call(t, http.MethodPost, "/api/v1/builds", ciToken, strings.NewReader(withDigest))
			assertProblem(t, r, tc.status, tc.code)
			if tc.status == 503 && r.header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			if tc.mode == "slow" && time.Since(start) > 4*time.Second {
				t.Errorf("a slow registry held the request %s; registryTimeout is 1s", time.Since(start))
			}
			unchanged(t)
		})
	}

	nested := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"huge body", `{"application":"payments","image":"` + image + `","tag":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large"},
		{"deeply nested body", `{"application":"payments","image":"` + image + `","tag":"3.0.0","x":` + nested + `}`, 400, "invalid_json"},
		{"non-UTF-8 body", `{"application":"payments","image":"` + image + `","tag":"3.0.0","source_branch":"ma` + "\xc3\x28" + `in"}`, 400, "invalid_json"},
		{"sha512 digest of sha256 length", buildBody("payments", image, "3.0.0", "sha512:"+strings.Repeat("ab", 32)), 400, "invalid_digest"},
		{"sha256 digest of 65 hex", buildBody("payments", image, "3.0.0", digest+"0"), 400, "invalid_digest"},
		{"digest without algorithm", buildBody("payments", image, "3.0.0", strings.TrimPrefix(digest, "sha256:")), 400, "invalid_digest"},
		{"uppercase image", buildBody("payments", strings.Replace(image, "payments", "Payments", 1), "3.0.0", ""), 400, "invalid_image"},
		{"image with invalid characters", buildBody("payments", image+"$", "3.0.0", ""), 400, "invalid_image"},
		{"129-character tag", buildBody("payments", image, strings.Repeat("t", 129), ""), 400, "invalid_tag"},
		{"application with a slash", buildBody("pay/ments", image, "3.0.0", ""), 400, "invalid_field"},
		{"application with dots", buildBody("..", image, "3.0.0", ""), 400, "invalid_field"},
		{"another sender's application", buildBody("checkout", reg.host+"/acme/checkout", "3.0.0", ""), 403, "forbidden"},
	} {
		t.Run("signed "+tc.name, func(t *testing.T) {
			ts := time.Now().Unix()
			id := "msg_" + strings.ReplaceAll(tc.name, " ", "_")
			r := s.f.call(t, http.MethodPost, "/api/v1/hooks/ci-hook/builds", "", strings.NewReader(tc.body),
				"webhook-id", id, "webhook-timestamp", strconv.FormatInt(ts, 10), "webhook-signature", sign(hookKeyOld, id, ts, tc.body))
			assertProblem(t, r, tc.status, tc.code)
			unchanged(t)
		})
	}

	// The registry healthy again, the same report goes through.
	r := s.f.call(t, http.MethodPost, "/api/v1/builds?wait=30s", ciToken, strings.NewReader(ok))
	if r.status != http.StatusAccepted {
		t.Fatalf("healthy registry: %d %s", r.status, r.body)
	}
}
