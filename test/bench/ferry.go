package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferryhq/ferry/api"
)

// token is the bearer token of every bench run: builds:write and read on
// every application.
const token = "bench-token-0123456789abcdef0123456789"

// buildFerry builds the real binary once, as `make build` does, or, when
// FERRY_BENCH_BIN names one, uses that binary built beforehand (a build
// with a profiling listener, or one reused between runs on a machine where
// the build alone takes many minutes).
func buildFerry(ctx context.Context, dir string) (string, error) {
	if b := os.Getenv("FERRY_BENCH_BIN"); b != "" {
		return b, nil
	}
	bin := filepath.Join(dir, "ferry")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/ferryhq/ferry/cmd/ferry")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ferry: %v\n%s", err, out)
	}
	return bin, nil
}

// ferryOpts configures one ferry process.
type ferryOpts struct {
	dir         string // data dir, config and log
	regHost     string
	bare        string
	more        []string // further environment repositories, envs2, envs3, …
	batchWindow time.Duration
	worker      string // further worker settings, each line indented by two spaces
	store       string // extra store: block, empty for SQLite in dir
}

// moreRepos is the config of further environment repositories.
func moreRepos(urls []string) string {
	var b strings.Builder
	for i, u := range urls {
		fmt.Fprintf(&b, "  - name: envs%d\n    url: %s\n    branch: main\n    author: {name: Ferry Bench, email: ferry@bench.local}\n", i+2, u)
	}
	return b.String()
}

// ferryProc is a running `ferry serve`.
type ferryProc struct {
	url    string
	ready  time.Time // when /readyz first answered 200
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
	client *http.Client
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startFerry writes a config and starts ferry, waiting until /readyz is 200.
func startFerry(ctx context.Context, bin string, o ferryOpts) (*ferryProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(token))
	cfg := fmt.Sprintf(`listen: %s
dataDir: %s
%sregistries:
  - host: %s
    insecure: true
repositories:
  - name: envs
    url: %s
    branch: main
    author: {name: Ferry Bench, email: ferry@bench.local}
%stokens:
  - name: bench
    sha256: %s
    scopes: [builds:write, read]
    applications: ["*"]
worker:
  batchWindow: %s
%slimits:
  requestsPerMinute: 100000000 # the load generators must not meet the per-token rate limit
log: {level: info, format: json}
`, addr, filepath.Join(o.dir, "data"), o.store, o.regHost, o.bare, moreRepos(o.more), hex.EncodeToString(sum[:]), o.batchWindow, o.worker)
	cfgPath := filepath.Join(o.dir, "ferry-server.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.dir, "ferry.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	f := &ferryProc{
		url: "http://" + addr, log: logPath, exited: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}},
	}
	f.cmd = exec.Command(bin, "serve", "--config", cfgPath)
	f.cmd.Stdout, f.cmd.Stderr = lf, lf
	if err := f.cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting ferry: %w", err)
	}
	go func() { _ = f.cmd.Wait(); lf.Close(); close(f.exited) }()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-f.exited:
			return nil, fmt.Errorf("ferry exited early: %s", f.tail())
		default:
		}
		resp, err := f.client.Get(f.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				f.ready = time.Now()
				return f, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.stop()
	return nil, fmt.Errorf("ferry not ready after 120s: %s", f.tail())
}

// tail returns the end of ferry's log.
func (f *ferryProc) tail() string {
	b, _ := os.ReadFile(f.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// peakRSSMB reads VmHWM, the process's peak resident set, in MB.
func (f *ferryProc) peakRSSMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", f.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// stop interrupts ferry and waits for it to exit.
func (f *ferryProc) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
	f.client.CloseIdleConnections()
}

// build is one build report.
type build struct {
	app, image, tag, digest string
}

func (b build) body() []byte {
	j, _ := json.Marshal(api.BuildRequest{
		Application: b.app, Image: b.image, Tag: b.tag, Digest: b.digest,
		SourceRepo: "https://git.example.com/acme/" + b.app, SourceCommit: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
		CIRunURL: "https://ci.example.com/runs/1",
	})
	return j
}

// report posts a build (with ?wait= when wait > 0) and decodes the answer.
func (f *ferryProc) report(ctx context.Context, b build, wait time.Duration) (int, api.BuildResponse, error) {
	u := f.url + "/api/v1/builds"
	if wait > 0 {
		u += "?wait=" + wait.String()
	}
	var out api.BuildResponse
	status, body, err := f.do(ctx, http.MethodPost, u, b.body())
	if err != nil {
		return 0, out, err
	}
	if status != http.StatusAccepted && status != http.StatusOK {
		return status, out, fmt.Errorf("POST /api/v1/builds: %d %s", status, body)
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return status, out, fmt.Errorf("decoding build answer: %w", err)
	}
	return status, out, nil
}

// do sends one authenticated request, with headers given as name, value
// pairs, and reads the whole answer.
func (f *ferryProc) do(ctx context.Context, method, u string, body []byte, headers ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// promotions lists one page of promotions matching query.
func (f *ferryProc) promotions(ctx context.Context, query string) (api.PromotionList, error) {
	var out api.PromotionList
	status, body, err := f.do(ctx, http.MethodGet, f.url+"/api/v1/promotions?"+query, nil)
	if err != nil {
		return out, err
	}
	if status != http.StatusOK {
		return out, fmt.Errorf("GET /api/v1/promotions?%s: %d %s", query, status, body)
	}
	return out, json.Unmarshal(body, &out)
}
