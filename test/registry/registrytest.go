// Package registrytest starts Debian's docker-registry (CNCF distribution)
// with htpasswd basic auth for end-to-end tests.
package registrytest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian's docker-registry package installs the server.
const Binary = "/usr/bin/docker-registry"

const configTemplate = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
auth:
  htpasswd:
    realm: ferry-test
    path: %s
`

// StartDockerRegistry starts a docker-registry listening on 127.0.0.1 with
// filesystem storage in a temporary directory and basic auth for one random
// user. It returns the registry's host:port (plain HTTP) and the credentials,
// and stops the registry when the test ends. A missing binary fails the test.
func StartDockerRegistry(t testing.TB) (host, user, pass string) {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("docker-registry is not installed (%v); .ci/run installs it with `apt-get install -y docker-registry`", err)
	}
	dir := t.TempDir()
	user, pass = "ferry", randomHex(t, 16)
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("hashing the registry password: %v", err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatalf("writing htpasswd: %v", err)
	}

	// The port is picked by the kernel and released before the registry binds
	// it; another process may take it in between, so try a few times.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		host = freeAddr(t)
		cfg := filepath.Join(dir, fmt.Sprintf("config-%d.yml", attempt))
		body := fmt.Sprintf(configTemplate, filepath.Join(dir, "data"), host, randomHex(t, 16), htpasswd)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatalf("writing registry config: %v", err)
		}
		if lastErr = start(t, cfg, host); lastErr == nil {
			return host, user, pass
		}
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return "", "", ""
}

// start runs the registry and waits until it answers /v2/ with 401.
func start(t testing.TB, cfg, host string) error {
	var out lockedBuffer
	cmd := exec.Command(Binary, "serve", cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running %s: %w", Binary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("docker-registry exited early (%v):\n%s", err, out.String())
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				t.Cleanup(stop)
				return nil
			}
			stop()
			return fmt.Errorf("docker-registry at %s answered /v2/ with %d, want 401:\n%s", host, resp.StatusCode, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return fmt.Errorf("docker-registry at %s not ready after 15s:\n%s", host, out.String())
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("reading random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
