package gitea

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Users of the Gitea server, with what they may do in every test repository.
const (
	admin    = "gitea-admin" // site admin: owns the acme organisation, protects branches
	bot      = "ferry-bot"   // Ferry's own token: a writer, author of Ferry's pull requests
	alice    = "alice"       // writer
	bob      = "bob"         // writer; also the name of a Ferry token that asks for promotions
	carol    = "carol"       // writer
	outsider = "outsider"    // no collaboration: may read and review a public repository
	org      = "acme"
)

// writers are given write access to every test repository.
var writers = []string{bot, alice, bob, carol}

// server is a Gitea process on 127.0.0.1 with its own work directory.
type server struct {
	URL     string
	Version string
	bin     string
	ini     string
	cmd     *exec.Cmd
	exited  chan struct{}
	log     bytes.Buffer
	tokens  map[string]string // user → access token
}

// giteaBinary finds the Gitea binary: FERRY_GITEA_BIN, else the cache that
// .ci/gitea.sh fills (keyed by the version it pins).
func giteaBinary() (string, error) {
	if p := os.Getenv("FERRY_GITEA_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("FERRY_GITEA_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("asking go for GOCACHE: %w", err)
	}
	matches, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "..", "ferry-gitea", "*", "gitea"))
	if len(matches) == 0 {
		return "", errors.New("no Gitea binary: run .ci/gitea.sh (builds one from source, minutes) or set FERRY_GITEA_BIN")
	}
	return matches[len(matches)-1], nil
}

// startServer writes an app.ini into dir, creates the database and the
// users, and starts Gitea. Webhooks may call loopback addresses (Ferry runs
// on 127.0.0.1) and go out through an in-memory queue, so that a review
// reaches Ferry in milliseconds.
func startServer(bin, dir string) (*server, error) {
	addr := freeAddr()
	_, port, _ := strings.Cut(addr, ":")
	s := &server{URL: "http://" + addr, bin: bin, ini: filepath.Join(dir, "app.ini"), tokens: map[string]string{}}
	ini := fmt.Sprintf(`APP_NAME = Ferry test
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[2]s
ROOT_URL = %[3]s/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = %[4]s
APP_DATA_PATH = %[1]s/data

[database]
DB_TYPE = sqlite3
PATH = %[1]s/data/gitea.db
SQLITE_JOURNAL_MODE = WAL
; a busy database under CI's load: wait for it rather than fail the query
; (Gitea's default is 500 ms)
SQLITE_TIMEOUT = 20000

[repository]
ROOT = %[1]s/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = ferry-test-secret-key-0123456789
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.ferrytestferrytestferrytestferrytest
PASSWORD_HASH_ALGO = pbkdf2_v2

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
DEFAULT_ALLOW_CREATE_ORGANIZATION = true

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 5

[queue]
TYPE = channel

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[mailer]
ENABLED = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[log]
MODE = file
LEVEL = Info
ROOT_PATH = %[1]s/log
`, dir, port, s.URL, filepath.Dir(bin))
	if err := os.WriteFile(s.ini, []byte(ini), 0o600); err != nil {
		return nil, err
	}
	if out, err := s.cli("migrate"); err != nil {
		return nil, fmt.Errorf("creating Gitea's database: %w\n%s", err, out)
	}
	for _, u := range append([]string{admin, outsider}, writers...) {
		args := []string{"admin", "user", "create", "--username", u, "--password", "pw-" + u + "-0123456789",
			"--email", u + "@test.local", "--must-change-password=false"}
		if u == admin {
			args = append(args, "--admin")
		}
		if out, err := s.cli(args...); err != nil {
			return nil, fmt.Errorf("creating user %s: %w\n%s", u, err, out)
		}
		out, err := s.cli("admin", "user", "generate-access-token", "--username", u, "--token-name", "ferry-test", "--scopes", "all", "--raw")
		if err != nil {
			return nil, fmt.Errorf("creating a token for %s: %w\n%s", u, err, out)
		}
		lines := strings.Fields(out)
		s.tokens[u] = lines[len(lines)-1]
	}
	s.cmd = exec.Command(bin, "--config", s.ini, "--work-path", dir, "web")
	s.cmd.Env = giteaEnv(dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting Gitea: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var v struct{ Version string }
		if st, err := s.call(admin, http.MethodGet, "/api/v1/version", nil, &v); err == nil && st == http.StatusOK {
			s.Version = v.Version
			break
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("gitea exited early:\n%s", s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			logged, _ := os.ReadFile(filepath.Join(dir, "log", "gitea.log"))
			if len(logged) > 4000 {
				logged = logged[len(logged)-4000:]
			}
			return nil, fmt.Errorf("gitea not answering after 3m:\n%s\n%s", s.log.String(), logged)
		}
	}
	if st, err := s.call(admin, http.MethodPost, "/api/v1/orgs", map[string]any{"username": org, "visibility": "public"}, nil); err != nil || st != http.StatusCreated {
		s.stop()
		return nil, fmt.Errorf("creating organisation %s: %d %v", org, st, err)
	}
	return s, nil
}

// giteaEnv lets Gitea run as root (CI containers) and keeps the machine's
// git configuration away from it.
func giteaEnv(dir string) []string {
	return append(os.Environ(), "GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true", "HOME="+dir, "GITEA_WORK_DIR="+dir)
}

// cli runs a gitea subcommand on the server's configuration.
func (s *server) cli(args ...string) (string, error) {
	dir := filepath.Dir(s.ini)
	cmd := exec.Command(s.bin, append([]string{"--config", s.ini, "--work-path", dir}, args...)...)
	cmd.Env = giteaEnv(dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stop ends the Gitea process by its PID: SIGTERM, then SIGKILL.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// call sends a request to Gitea's API as user and decodes a JSON answer
// into out (when not nil). It returns the status.
func (s *server) call(user, method, path string, in, out any) (int, error) {
	st, body, err := s.raw(user, method, path, in)
	if err != nil {
		return st, err
	}
	if out != nil && st/100 == 2 && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return st, fmt.Errorf("decoding %s %s: %w: %s", method, path, err, body)
		}
	}
	return st, nil
}

// raw sends a request to Gitea's API as user and returns the status and body.
func (s *server) raw(user, method, path string, in any) (int, []byte, error) {
	return s.send(user, method, path, in, 0)
}

// send is raw's request, the retry-th time.
func (s *server) send(user, method, path string, in any, retry int) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, body)
	if err != nil {
		return 0, nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := s.tokens[user]; tok != "" {
		req.Header.Set("Authorization", "token "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnauthorized && s.tokens[user] != "" && retry < 3 {
		// Gitea answers a valid token 401 ("invalid username, password or
		// token") when looking the token up fails, as on a busy SQLite; no
		// test here expects a 401 and the request had no effect: ask again.
		time.Sleep(300 * time.Millisecond)
		return s.send(user, method, path, in, retry+1)
	}
	return resp.StatusCode, b, err
}

// freeAddr returns a 127.0.0.1 address nothing listens on right now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
