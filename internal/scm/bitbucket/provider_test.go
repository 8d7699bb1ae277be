package bitbucket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// TestAuthentication: a token alone is a bearer token (repository access
// tokens); with a username it is the password of basic auth (app
// passwords, API tokens). A refusal names neither.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	const secret = "ATBBs3cr3tAppPassw0rd"
	for name, tc := range map[string]struct {
		user string
		want func(*http.Request) bool
	}{
		"bearer": {"", func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+secret }},
		"basic": {"ferry-bot", func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "ferry-bot" && p == secret
		}},
	} {
		var got bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = tc.want(r)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"type":"error","error":{"message":"Invalid credentials"}}`))
		}))
		p, err := New(config.Provider{URL: srv.URL + "/2.0", Project: "acme/env", Username: tc.user, Token: config.NewSecret(secret), RequestsPerMinute: 5000},
			outbound.WithHTTPClient(srv.Client()), outbound.WithTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Get(context.Background(), 1)
		srv.Close()
		if !got {
			t.Errorf("%s: the request did not carry the credentials as expected", name)
		}
		if d, ok := derrors.As(err); !ok || d.Code != "scm_auth_failed" {
			t.Errorf("%s: err = %v, want scm_auth_failed", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "ferry-bot:")) {
			t.Errorf("%s: error reveals credentials: %v", name, err)
		}
	}
}
