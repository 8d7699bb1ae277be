package gitrepo

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// serveHTTP serves the bare repositories under root with git http-backend,
// behind basic auth for token; readOnly, when set, may fetch but gets 403
// when it pushes.
func serveHTTP(t *testing.T, root, token, readOnly string) *httptest.Server {
	t.Helper()
	backend := &cgi.Handler{
		Path: filepath.Join(git(t, "", "--exec-path"), "git-http-backend"),
		Env:  append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, gitEnv...),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, pass, _ := req.BasicAuth()
		push := strings.Contains(req.URL.RawQuery, "git-receive-pack") || strings.HasSuffix(req.URL.Path, "/git-receive-pack")
		if readOnly != "" && pass == readOnly {
			if push {
				http.Error(w, "read-only token", http.StatusForbidden)
				return
			}
			backend.ServeHTTP(w, req)
			return
		}
		if pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPToken(t *testing.T) {
	t.Parallel()
	const token = "ghp_s3cr3tT0kenValue"
	bare := newBare(t, envFiles())
	git(t, bare, "config", "http.receivepack", "true")
	const readOnly = "ghp_r3adOnlyT0kenValue"
	srv := serveHTTP(t, filepath.Dir(bare), token, readOnly)
	url := srv.URL + "/env.git"

	r := openRepo(t, Config{URL: url, Auth: Auth{Token: token}})
	res, err := r.Commit(context.Background(), "main", setFiles("Over HTTP\n", map[string]string{"envs/dev/app/kustomization.yaml": "over http\n"}))
	if err != nil {
		t.Fatalf("Commit over HTTP: %v", err)
	}
	if got := git(t, bare, "rev-parse", "main"); got != res.SHA {
		t.Errorf("remote main = %s, want %s", got, res.SHA)
	}
	fsck(t, bare)
	if got := git(t, bare, "rev-parse", "main"); got != res.SHA {
		t.Errorf("remote main moved to %s", got)
	}

	const wrong = "ghp_wr0ngT0kenValue"
	bad := openRepo(t, Config{URL: url, Auth: Auth{Token: wrong}})
	ro := openRepo(t, Config{URL: url, Auth: Auth{Token: readOnly}})
	for name, op := range map[string]func() error{
		"Read":   func() error { _, err := bad.Read(context.Background(), "main"); return err },
		"Commit": func() error { _, err := bad.Commit(context.Background(), "main", setFiles("x\n", nil)); return err },
		"Commit with a read-only token": func() error {
			_, err := ro.Commit(context.Background(), "main", setFiles("x\n", map[string]string{"ferry.yaml": "ro\n"}))
			return err
		},
	} {
		err := op()
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, ErrAuth) {
			t.Errorf("%s with a wrong token: err = %v, want ErrAuth", name, err)
			continue
		}
		if de, ok := derrors.As(err); !ok || de.Kind != derrors.Unavailable || de.Code != CodeAuthFailed {
			t.Errorf("%s: domain error = %+v", name, de)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), readOnly) {
			t.Errorf("%s: error shows the token: %v", name, err)
		}
	}
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(func() { close(hang); srv.Close() })

	r := openRepo(t, Config{URL: srv.URL + "/env.git", Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := r.Read(context.Background(), "main")
	t.Logf("timeout: %v", err)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrUnavailable after the deadline", err)
	}
	if de, ok := derrors.As(err); !ok || de.Code != CodeUnavailable {
		t.Errorf("domain error = %+v", de)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Read took %s with a 200ms timeout", d)
	}
}
