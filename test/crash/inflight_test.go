package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// slowRegistry stands in front of a real registry and, while slow is set,
// holds every request until it is released or its caller goes away: a
// registry that is slow to answer, so that a build report stays in flight.
type slowRegistry struct {
	host    string
	slow    atomic.Bool
	hit     chan struct{} // a request arrived while slow
	mu      sync.Mutex
	release chan struct{}
}

func newSlowRegistry(t *testing.T, backend string) *slowRegistry {
	target, err := url.Parse("http://" + backend)
	if err != nil {
		t.Fatal(err)
	}
	r := &slowRegistry{hit: make(chan struct{}, 1), release: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.slow.Load() {
			select {
			case r.hit <- struct{}{}:
			default:
			}
			r.mu.Lock()
			release := r.release
			r.mu.Unlock()
			select {
			case <-release:
			case <-req.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(r.fast)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// hold makes the registry slow; fast lets everything through again.
func (r *slowRegistry) hold() {
	r.mu.Lock()
	r.release = make(chan struct{})
	r.mu.Unlock()
	r.slow.Store(true)
}

func (r *slowRegistry) fast() {
	if r.slow.Swap(false) {
		r.mu.Lock()
		close(r.release)
		r.mu.Unlock()
	}
}

// TestCrashRetryTakesOverInFlightKey sends a build report with an
// Idempotency-Key while the registry is slow to answer, so the request is
// in flight, kills ferry with SIGKILL, restarts it, and resends the same
// report with the same key through `ferry notify`: the retry must succeed
// within 5 seconds of ferry being ready, not be refused as in flight until
// the longest ?wait= has passed. While the first request is alive, its
// hold outlasts the lease (it is renewed) and a repeat is refused.
func TestCrashRetryTakesOverInFlightKey(t *testing.T) {
	const runs = 3
	real := ferrytest.NewRegistry(t)
	reg := newSlowRegistry(t, real.Host)
	bare := ferrytest.EnvRepo(t, reg.host)
	addr := ferrytest.FreeAddr(t)
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.host, bare, "  batchWindow: 100ms\n  pollInterval: 200ms\n")
	// The registry call must outlast the test's wait, not time out first
	// (a 5xx would free the key without any takeover).
	appendFile(t, cfg, "limits:\n  registryTimeout: 60s\n")
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	var worst time.Duration
	for run := range runs {
		tag, key := fmt.Sprintf("inflight-%d", run), fmt.Sprintf("crash-retry-%d", run)
		digest, err := real.Push("acme/payments", tag)
		if err != nil {
			t.Fatal(err)
		}
		b := api.BuildRequest{Application: "payments", Image: reg.host + "/acme/payments", Tag: tag, Digest: digest}

		reg.hold()
		first := make(chan int, 1)
		go func() { first <- postBuild(f.URL, b, key) }()
		select {
		case <-reg.hit:
		case st := <-first:
			t.Fatalf("run %d: the first report was answered %d before it reached the registry", run, st)
		case <-time.After(30 * time.Second):
			t.Fatalf("run %d: the first report never reached the registry", run)
		}
		if run == 0 {
			// Alive and past its first lease: still held, and the answer
			// says when to look again.
			time.Sleep(5 * time.Second)
			st, retryAfter := postBuildHeader(f.URL, b, key)
			if st != http.StatusConflict || retryAfter == "" {
				t.Errorf("a repeat while the first report runs = %d (Retry-After %q), want 409 with Retry-After", st, retryAfter)
			}
		}
		f.Kill()
		reg.fast()
		<-first
		f.Start(t)
		start := time.Now()
		out, err := notify(f.URL, b, key)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("run %d: ferry notify with the same key after the restart: %v\n%s", run, err, out)
		}
		if !strings.Contains(out, "accepted: payments") {
			t.Errorf("run %d: ferry notify printed %q, want it accepted", run, out)
		}
		t.Logf("run %d: the retry succeeded %s after ferry was ready", run, took.Round(time.Millisecond))
		worst = max(worst, took)
	}
	measured("crash_retry_s", "%.1f", worst.Seconds())
	t.Logf("crash_retry_s=%.1f", worst.Seconds())
	if worst > 5*time.Second {
		t.Errorf("a retry after a crash took %s, want at most 5s", worst)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// postBuild sends b as `ferry notify` would, and returns the status, 0 when
// there was no answer (ferry was killed).
func postBuild(base string, b api.BuildRequest, key string) int {
	st, _ := postBuildHeader(base, b, key)
	return st
}

func postBuildHeader(base string, b api.BuildRequest, key string) (int, string) {
	body, _ := json.Marshal(b) // the same bytes ferry notify sends: the key's request hash must match
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/builds", bytes.NewReader(body))
	if err != nil {
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ferrytest.CIToken)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// notify runs the real `ferry notify` with key, outside any CI's
// environment so that it sends exactly b.
func notify(base string, b api.BuildRequest, key string) (string, error) {
	cmd := exec.Command(ferryBin, "notify", "--server", base, "--token", ferrytest.CIToken,
		"--application", b.Application, "--image", b.Image, "--tag", b.Tag, "--digest", b.Digest,
		"--idempotency-key", key)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
