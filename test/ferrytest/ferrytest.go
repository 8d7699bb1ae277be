// Package ferrytest runs the real ferry binary against real parts (an
// in-process OCI registry, a bare Git repository seeded from the example
// environment repo, SQLite on disk) for the crash and concurrency suites.
package ferrytest

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
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

// Tokens the config written by Config accepts.
const (
	CIToken   = "crash-ci-token-0123456789abcdef"
	ReadToken = "crash-read-token-0123456789abcdef"
)

// BuildBinary builds the ferry binary into dir, with go build's flags, and
// returns its path.
func BuildBinary(dir string, flags ...string) (string, error) {
	bin := filepath.Join(dir, "ferry")
	args := append(append([]string{"build"}, flags...), "-o", bin, "github.com/ferryhq/ferry/cmd/ferry")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building ferry: %w", err)
	}
	return bin, nil
}

// Main is a TestMain: it builds the ferry binary once for the package, with
// go build's flags, sets *bin to its path, runs the tests, removes the
// binary and exits with the tests' code.
func Main(m *testing.M, bin *string, flags ...string) { MainThen(m, bin, nil, flags...) }

// MainThen is Main that calls then (unless nil) after the tests have run,
// before it exits: to print what the tests measured together.
func MainThen(m *testing.M, bin *string, then func(), flags ...string) {
	dir, err := os.MkdirTemp("", "ferry-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *bin, err = BuildBinary(dir, flags...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if then != nil {
		then()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// Git runs the git CLI in dir and returns its trimmed output (gittest.Git).
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return gittest.Git(tb, dir, args...)
}

// GitErr runs the git CLI in dir, ignoring the machine's configuration
// (gittest.GitErr).
func GitErr(dir string, args ...string) (string, error) { return gittest.GitErr(dir, args...) }

// Registry is go-containerregistry's in-process registry.
type Registry struct {
	Host string
}

// NewRegistry starts a registry that stops when the test ends.
func NewRegistry(tb testing.TB) *Registry {
	tb.Helper()
	return &Registry{Host: imagetest.Start(tb)}
}

// Push writes a random image to repo:tag and returns its digest: every call
// makes a distinct image.
func (r *Registry) Push(repo, tag string) (string, error) {
	img, err := random.Image(128, 1)
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(r.Host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// ExtraApps are kustomize applications added to the example pipeline, each
// with its dev overlay, so that a burst touches many files.
var ExtraApps = []string{"ledger", "search", "mailer"}

// EnvRepo makes a bare repository seeded with the example env repo (its
// registry host replaced by regHost) plus ExtraApps, and returns its path.
func EnvRepo(tb testing.TB, regHost string) string {
	tb.Helper()
	work := tb.TempDir()
	gittest.WriteExample(tb, work, regHost)
	// dev only: these suites are about commit-mode promotions.
	b, err := os.ReadFile(filepath.Join(work, "ferry.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	_, apps, ok := strings.Cut(string(b), "\napplications:")
	if !ok {
		tb.Fatal("example ferry.yaml has no applications")
	}
	cfg := "environments:\n  - name: dev\n    promotion: commit\n\napplications:" + apps
	for _, app := range ExtraApps {
		cfg += fmt.Sprintf("\n  - name: %s\n    image: %s/acme/%s\n    target:\n      kind: kustomize\n      path: envs/{env}/%s/kustomization.yaml\n", app, regHost, app, app)
		k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: %s/acme/%s\n    newTag: \"0.0.0\"\n", regHost, app)
		gittest.WriteFile(tb, work, "envs/dev/"+app+"/kustomization.yaml", k)
	}
	gittest.WriteFile(tb, work, "ferry.yaml", cfg)
	return gittest.NewBare(tb, work, "seed")
}

// Apps are every application of the pipeline EnvRepo writes.
func Apps() []string { return append([]string{"payments", "checkout", "notifier"}, ExtraApps...) }

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Config writes a server config for a ferry on addr with its SQLite store in
// data, writing to bare and trusting regHost, with worker settings (a YAML
// mapping body, indented by two spaces), and returns the file's path.
func Config(tb testing.TB, addr, data, regHost, bare, worker string) string {
	tb.Helper()
	body := fmt.Sprintf(`listen: %s
dataDir: %s
registries:
  - host: %s
    insecure: true
repositories:
  - name: envs
    url: %s
    branch: main
    author: {name: Ferry Test, email: ferry@test.local}
tokens:
  - name: ci
    sha256: %s
    scopes: [builds:write]
    applications: ["*"]
  - name: reader
    sha256: %s
    scopes: [read]
worker:
%s
log:
  level: info
`, addr, data, regHost, bare, sha(CIToken), sha(ReadToken), worker)
	p := filepath.Join(tb.TempDir(), "ferry-server.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// FreeAddr returns a 127.0.0.1 address nothing listens on right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Ferry is a ferry server process, started, killed and restarted by a test.
type Ferry struct {
	URL  string
	bin  string
	args []string

	mu     sync.Mutex
	out    bytes.Buffer // every run's stdout and stderr
	cmd    *exec.Cmd
	exited chan struct{}
}

// NewFerry returns a server that runs `bin serve --config cfg` on addr; it is
// killed when the test ends, and its output logged if the test failed.
func NewFerry(tb testing.TB, bin, addr, cfg string) *Ferry {
	f := &Ferry{URL: "http://" + addr, bin: bin, args: []string{"serve", "--config", cfg}}
	tb.Cleanup(func() {
		f.Kill()
		if tb.Failed() {
			out := f.Output()
			if len(out) > 20000 {
				out = "…" + out[len(out)-20000:]
			}
			tb.Logf("ferry output (tail):\n%s", out)
		}
	})
	return f
}

// Output returns what every run printed so far.
func (f *Ferry) Output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

func (f *Ferry) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}

// Start runs the process and waits until /readyz answers 200.
func (f *Ferry) Start(tb testing.TB) {
	tb.Helper()
	cmd := exec.Command(f.bin, f.args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	f.mu.Lock()
	f.cmd, f.exited = cmd, exited
	f.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			tb.Fatalf("ferry exited early:\n%s", f.Output())
		default:
		}
		resp, err := http.Get(f.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("ferry not ready after 60s")
}

// Kill sends SIGKILL and waits for the process to be gone.
func (f *Ferry) Kill() {
	f.mu.Lock()
	cmd, exited := f.cmd, f.exited
	f.cmd = nil
	f.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Terminate sends SIGTERM and returns how long the process took to exit and
// its exit code; it kills the process after limit.
func (f *Ferry) Terminate(limit time.Duration) (time.Duration, int, error) {
	f.mu.Lock()
	cmd, exited := f.cmd, f.exited
	f.cmd = nil
	f.mu.Unlock()
	if cmd == nil {
		return 0, 0, fmt.Errorf("not running")
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, 0, err
	}
	select {
	case <-exited:
		return time.Since(start), cmd.ProcessState.ExitCode(), nil
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-exited
		return time.Since(start), -1, fmt.Errorf("still running %s after SIGTERM", limit)
	}
}

// Build is one build report.
type Build struct {
	App, Tag, Digest string
}

// Accepted is what a 2xx answer to a build report said.
type Accepted struct {
	Build
	Status      int
	ReleaseID   string
	PromotionID string
}

// Report sends one build report with a short deadline. It returns the
// answer for a 2xx, or an error for anything else (refused connection,
// timeout, 5xx): the build was not known to be accepted.
func (f *Ferry) Report(ctx context.Context, regHost string, b Build) (Accepted, error) {
	a, _, err := f.ReportWait(ctx, regHost, b, "")
	return a, err
}

// ReportWait is Report with ?wait=wait (none when ""); it also returns the
// promotion's state as answered.
func (f *Ferry) ReportWait(ctx context.Context, regHost string, b Build, wait string) (Accepted, string, error) {
	body, _ := json.Marshal(api.BuildRequest{
		Application: b.App, Image: regHost + "/acme/" + b.App, Tag: b.Tag, Digest: b.Digest,
	})
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	u := f.URL + "/api/v1/builds"
	if wait != "" {
		u += "?wait=" + wait
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Accepted{}, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+CIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Accepted{}, "", err
	}
	defer resp.Body.Close()
	b2, err := io.ReadAll(resp.Body)
	if err != nil {
		return Accepted{}, "", err
	}
	if resp.StatusCode/100 != 2 {
		return Accepted{}, "", fmt.Errorf("status %d: %s", resp.StatusCode, b2)
	}
	var br api.BuildResponse
	if err := json.Unmarshal(b2, &br); err != nil {
		return Accepted{}, "", fmt.Errorf("decoding %s: %w", b2, err)
	}
	return Accepted{Build: b, Status: resp.StatusCode, ReleaseID: br.Release.ID, PromotionID: br.Promotion.ID}, br.Promotion.State, nil
}

// Promotions lists every promotion, newest first.
func (f *Ferry) Promotions(tb testing.TB) []api.Promotion {
	tb.Helper()
	var all []api.Promotion
	cursor := ""
	for {
		q := url.Values{"limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v1/promotions?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+ReadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		var page api.PromotionList
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			tb.Fatalf("listing promotions: %d %s", resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, &page); err != nil {
			tb.Fatalf("decoding promotions: %v", err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// Drain waits until no promotion is pending (or waiting), up to limit, and
// returns every promotion.
func (f *Ferry) Drain(tb testing.TB, limit time.Duration) []api.Promotion {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		all := f.Promotions(tb)
		open := 0
		for _, p := range all {
			if p.State == "pending" || p.State == "waiting" {
				open++
			}
		}
		if open == 0 {
			return all
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d promotions still open after %s", open, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Commit is one commit of the environment repository with its Ferry trailers.
type Commit struct {
	SHA        string
	Releases   []string
	Promotions []string
}

// Log returns every commit of branch in bare, newest first, with the values
// of its Ferry-Release and Ferry-Promotion trailers, as git log reads them.
func Log(tb testing.TB, bare, branch string) []Commit {
	tb.Helper()
	out := Git(tb, bare, "log", "--format=%H%x1f%(trailers:key=Ferry-Release,valueonly,separator=%x20)%x1f%(trailers:key=Ferry-Promotion,valueonly,separator=%x20)%x1e", branch)
	var cs []Commit
	for _, rec := range strings.Split(out, "\x1e") {
		rec = strings.TrimSpace(rec)
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x1f")
		if len(f) != 3 {
			tb.Fatalf("git log record %q", rec)
		}
		cs = append(cs, Commit{SHA: f[0], Releases: strings.Fields(f[1]), Promotions: strings.Fields(f[2])})
	}
	return cs
}
