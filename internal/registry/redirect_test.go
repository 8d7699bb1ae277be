package registry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

func TestResolveRefusesRedirectToOtherHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// alsoAllowTarget lists the redirect target as a registry of its own.
		alsoAllowTarget bool
	}{
		{name: "target not on the allowlist"},
		{name: "target is another allowlisted registry", alsoAllowTarget: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(target.Close)
			reg := startRegistry(t, onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
			}))
			imagetest.PushImage(t, reg.host, "team/app", "v1")
			reg.armed.Store(true)

			hosts := []Host{{Host: reg.host, Insecure: true}}
			if tc.alsoAllowTarget {
				hosts = append(hosts, Host{Host: strings.TrimPrefix(target.URL, "http://"), Insecure: true})
			}
			v := newVerifier(t, Config{Hosts: hosts})
			_, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", "")
			e := wantCode(t, err, derrors.Unavailable, "registry_redirect_refused")
			if !strings.Contains(e.Detail, strings.TrimPrefix(target.URL, "http://")) || !strings.Contains(e.Detail, "team/app:v1") {
				t.Errorf("detail %q does not name the target host and the image", e.Detail)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("redirect target got %d requests, want 0", n)
			}
		})
	}
}

func TestResolveConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	v := newVerifier(t, Config{Hosts: []Host{{Host: host, Insecure: true}}})
	_, err = v.Resolve(context.Background(), host+"/team/app", "v1", "")
	e := wantCode(t, err, derrors.Unavailable, "registry_unavailable")
	if e.RetryAfter != defaultUnavailableRetry {
		t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, defaultUnavailableRetry)
	}
}
