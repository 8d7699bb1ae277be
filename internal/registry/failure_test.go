package registry

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

const (
	testUser = "ci"
	testPass = "s3cret-Pa55word"
)

func basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestResolveFailures(t *testing.T) {
	t.Parallel()
	const fakeDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
		// host overrides the allowlist entry for the test registry.
		host    func(h string) Host
		timeout time.Duration
		// want is the digest CI reports; "image" stands for the pushed image's.
		want           string
		wantKind       derrors.Kind
		wantCode       string // "" means Resolve succeeds with the image digest
		wantRetryAfter time.Duration
		wantRequests   int64 // -1: don't care
	}{
		{
			name:     "not allowlisted",
			host:     func(string) Host { return Host{Host: "ghcr.io"} },
			wantKind: derrors.Unprocessable, wantCode: "registry_not_allowed", wantRequests: 0,
		},
		{
			name:         "basic auth with the right credentials",
			wrap:         basicAuth,
			host:         func(h string) Host { return Host{Host: h, Insecure: true, Username: testUser, Password: testPass} },
			wantRequests: -1,
		},
		{
			name: "basic auth with a wrong password",
			wrap: basicAuth,
			host: func(h string) Host {
				return Host{Host: h, Insecure: true, Username: testUser, Password: "wrong-Pa55word"}
			},
			wantKind: derrors.Unavailable, wantCode: "registry_auth_failed", wantRequests: -1,
		},
		{
			name:     "basic auth without credentials",
			wrap:     basicAuth,
			wantKind: derrors.Unavailable, wantCode: "registry_auth_failed", wantRequests: -1,
		},
		{
			name: "rate limited with Retry-After",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
			}),
			wantKind: derrors.Unavailable, wantCode: "registry_rate_limited", wantRetryAfter: 7 * time.Second, wantRequests: -1,
		},
		{
			name: "rate limited without Retry-After",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				w.WriteHeader(http.StatusTooManyRequests)
			}),
			wantKind: derrors.Unavailable, wantCode: "registry_rate_limited", wantRetryAfter: 30 * time.Second, wantRequests: -1,
		},
		{
			name: "500",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				w.WriteHeader(http.StatusInternalServerError)
			}),
			wantKind: derrors.Unavailable, wantCode: "registry_unavailable", wantRetryAfter: 10 * time.Second, wantRequests: -1,
		},
		{
			name: "503 with Retry-After",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusServiceUnavailable)
			}),
			wantKind: derrors.Unavailable, wantCode: "registry_unavailable", wantRetryAfter: 3 * time.Second, wantRequests: -1,
		},
		{
			name: "slow registry times out",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}),
			timeout:  300 * time.Millisecond,
			wantKind: derrors.Unavailable, wantCode: "registry_unavailable", wantRetryAfter: 10 * time.Second, wantRequests: -1,
		},
		{
			name: "HEAD not supported falls back to GET",
			wrap: onManifests(http.MethodHead, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				w.WriteHeader(http.StatusMethodNotAllowed)
			}),
			want: "image", wantRequests: -1,
		},
		{
			name: "HEAD without a digest falls back to GET",
			wrap: onManifests(http.MethodHead, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(&rewriteHeaders{ResponseWriter: w, fn: func(h http.Header) { h.Del("Docker-Content-Digest") }}, r)
			}),
			wantRequests: -1,
		},
		{
			name: "wrong Docker-Content-Digest",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(&rewriteHeaders{ResponseWriter: w, fn: func(h http.Header) { h.Set("Docker-Content-Digest", fakeDigest) }}, r)
			}),
			want:     "image",
			wantKind: derrors.Unavailable, wantCode: "registry_digest_inconsistent", wantRequests: -1,
		},
		{
			// Without CI's digest the pinned one comes from the manifest
			// bytes, so a HEAD that lies is never written.
			name: "lying HEAD without a digest: the manifest bytes decide",
			wrap: onManifests(http.MethodHead, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(&rewriteHeaders{ResponseWriter: w, fn: func(h http.Header) { h.Set("Docker-Content-Digest", fakeDigest) }}, r)
			}),
			wantRequests: -1,
		},
		{
			name: "wrong Docker-Content-Digest on GET after an unsupported HEAD",
			wrap: onManifests("", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				if r.Method == http.MethodHead {
					w.WriteHeader(http.StatusMethodNotAllowed)
					return
				}
				next.ServeHTTP(&rewriteHeaders{ResponseWriter: w, fn: func(h http.Header) { h.Set("Docker-Content-Digest", fakeDigest) }}, r)
			}),
			wantKind: derrors.Unavailable, wantCode: "registry_digest_inconsistent", wantRequests: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := startRegistry(t, tc.wrap)
			img := imagetest.PushImage(t, reg.host, "team/app", "v1")
			reg.armed.Store(true)
			start := reg.requests.Load()

			host := Host{Host: reg.host, Insecure: true}
			if tc.host != nil {
				host = tc.host(reg.host)
			}
			v := newVerifier(t, Config{Hosts: []Host{host}, Timeout: tc.timeout})
			want := tc.want
			if want == "image" {
				want = img.String()
			}
			began := time.Now()
			got, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", want)
			if tc.wantRequests >= 0 {
				if n := reg.requests.Load() - start; n != tc.wantRequests {
					t.Errorf("registry got %d requests, want %d", n, tc.wantRequests)
				}
			}
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if got != img.String() {
					t.Fatalf("Resolve = %s, want %s", got, img)
				}
				return
			}
			e := wantCode(t, err, tc.wantKind, tc.wantCode)
			if e.RetryAfter != tc.wantRetryAfter {
				t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, tc.wantRetryAfter)
			}
			for _, secret := range []string{testPass, "wrong-Pa55word"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text reveals a password: %v", err)
				}
			}
			if !strings.Contains(e.Detail, "team/app") {
				t.Errorf("detail %q does not name the repository", e.Detail)
			}
			if tc.timeout > 0 {
				if d := time.Since(began); d > tc.timeout+2*time.Second {
					t.Errorf("Resolve took %s with a timeout of %s", d, tc.timeout)
				}
			}
			if tc.wantCode == "registry_auth_failed" && !strings.Contains(e.Detail, "check the credentials configured for "+reg.host) {
				t.Errorf("detail %q does not say which credentials to check", e.Detail)
			}
		})
	}
}
