// Package e2e runs the real ferry binary against real parts: an in-process
// OCI registry or Debian's docker-registry, bare Git repositories and the git
// CLI, and SQLite on disk.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// ferryBin is the binary built once for the whole package.
var ferryBin string

// TestMain builds the binary with the race detector on.
func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin, "-race") }

// git runs the git CLI apart from the machine's configuration.
var git = gittest.Git

// envRepo makes a bare repository seeded with the example env repo, its
// registry host replaced by regHost, plus extra files; it returns the bare
// repo's path.
func envRepo(t *testing.T, regHost string, extra map[string]string) string {
	t.Helper()
	work := t.TempDir()
	gittest.WriteExample(t, work, regHost)
	for p, content := range extra {
		gittest.WriteFile(t, work, p, content)
	}
	return gittest.NewBare(t, work, "seed")
}

// testRegistry is go-containerregistry's in-process registry.
type testRegistry struct {
	host string
}

func newRegistry(t *testing.T) *testRegistry { return &testRegistry{host: imagetest.Start(t)} }

// push writes a random image to repo:tag and returns its digest.
func (r *testRegistry) push(t *testing.T, repo, tag string) string {
	t.Helper()
	return imagetest.PushImage(t, r.host, repo, tag).String()
}

// pushIndex writes a random linux/amd64 + linux/arm64 index and returns the
// digests of the index and of its arm64 manifest.
func (r *testRegistry) pushIndex(t *testing.T, repo, tag string) (index, platform string) {
	t.Helper()
	i, p := imagetest.PushIndex(t, r.host, repo, tag)
	return i.String(), p.String()
}

// freeAddr returns a 127.0.0.1 address nothing listens on right now.
var freeAddr = ferrytest.FreeAddr

// ferry is a running ferry binary.
type ferry struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer // stdout and stderr
}

// output returns everything the process printed so far.
func (f *ferry) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

type lockedWriter struct{ f *ferry }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.out.Write(p)
}

// startFerry runs `ferry serve` with args until the test ends, and waits
// until /readyz answers 200.
func startFerry(t *testing.T, addr string, args ...string) *ferry {
	t.Helper()
	f := &ferry{url: "http://" + addr}
	f.cmd = exec.Command(ferryBin, append([]string{"serve"}, args...)...)
	f.cmd.Stdout, f.cmd.Stderr = lockedWriter{f}, lockedWriter{f}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	f.exited = exited
	go func() { _ = f.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = f.cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = f.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("ferry output:\n%s", f.output())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("ferry exited early:\n%s", f.output())
		default:
		}
		resp, err := http.Get(f.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return f
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("ferry not ready after 60s:\n%s", f.output())
	return nil
}

// stop ends the process: SIGINT, or SIGKILL when hard, and waits for it.
func (f *ferry) stop(t *testing.T, hard bool) {
	t.Helper()
	sig := os.Interrupt
	if hard {
		sig = os.Kill
	}
	_ = f.cmd.Process.Signal(sig)
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("ferry did not stop within 30s")
	}
}

// writeConfig writes a server config file and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ferry-server.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// response is an HTTP answer with its body decoded as JSON into a map.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// call sends an HTTP request to ferry.
func (f *ferry) call(t *testing.T, method, path, token string, body io.Reader, headers ...string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// run runs the ferry binary as a client and returns its exit code and output.
func run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(ferryBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
