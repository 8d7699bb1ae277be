package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
)

// TestResolveRefusesTokenServiceOffAllowlist: a registry whose token service
// (the Bearer realm of its 401) is on a host that is not allowlisted gets
// registry_redirect_refused naming that host, not "unreachable"; the token
// service gets no request.
func TestResolveRefusesTokenServiceOffAllowlist(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"token":"t"}`))
	}))
	t.Cleanup(auth.Close)
	authHost := strings.TrimPrefix(auth.URL, "http://")
	reg := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+auth.URL+`/token",service="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
		})
	})
	reg.armed.Store(true)

	v := newVerifier(t, Config{Hosts: []Host{{Host: reg.host, Insecure: true}}})
	_, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", "")
	e := wantCode(t, err, derrors.Unavailable, "registry_redirect_refused")
	if !strings.Contains(e.Detail, authHost) || !strings.Contains(e.Detail, "token service") {
		t.Errorf("detail %q does not name the token service's host %s", e.Detail, authHost)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the token service got %d requests, want 0", n)
	}
}
