package registry

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	inproc "github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferryhq/ferry/internal/derrors"
)

// testRegistry is go-containerregistry's in-process registry behind an
// optional wrapping handler, counting the requests that reach it. The
// wrapper applies once the test arms it, so that fixtures can be pushed
// first.
type testRegistry struct {
	host     string
	requests atomic.Int64
	armed    atomic.Bool
}

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	var plain http.Handler = inproc.New(inproc.Logger(log.New(io.Discard, "", 0)))
	wrapped := plain
	if wrap != nil {
		wrapped = wrap(plain)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if r.armed.Load() {
			wrapped.ServeHTTP(w, req)
			return
		}
		plain.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func newVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	if cfg.Keychain == nil {
		// Keep the developer's ~/.docker/config.json out of the tests.
		cfg.Keychain = authn.NewMultiKeychain()
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// wantCode fails unless err is a domain error with the kind and code.
func wantCode(t *testing.T, err error, kind derrors.Kind, code string) *derrors.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := derrors.As(err)
	if !ok {
		t.Fatalf("got %T %v, want a *derrors.Error with code %s", err, err, code)
	}
	if e.Code != code || e.Kind != kind {
		t.Fatalf("got kind %d code %q (%v), want kind %d code %q", e.Kind, e.Code, err, kind, code)
	}
	return e
}

// rewriteHeaders lets a test change the registry's response headers.
type rewriteHeaders struct {
	http.ResponseWriter
	fn    func(http.Header)
	wrote bool
}

func (w *rewriteHeaders) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.fn(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rewriteHeaders) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// onManifests wraps a registry handler so that manifest reads with the
// given method ("" for GET and HEAD) go to fn instead. Pushes pass through.
func onManifests(method string, fn func(w http.ResponseWriter, r *http.Request, next http.Handler)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && (r.Method == method || method == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead)) {
				fn(w, r, next)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
