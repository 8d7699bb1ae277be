package registry

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

const testToken = "tok-3f9a1c"

// bearerAuth demands a registry bearer token, as registries that hand out
// tokens from a realm on their own host do.
func bearerAuth(host string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, host))
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestResolveWithTokenOverride(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		token    string
		wantCode string
	}{
		{name: "right token", token: testToken},
		{name: "wrong token", token: "tok-wrong-77", wantCode: "registry_auth_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var reg *testRegistry
			reg = startRegistry(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					bearerAuth(reg.host)(next).ServeHTTP(w, r)
				})
			})
			img := imagetest.PushImage(t, reg.host, "team/app", "v1")
			reg.armed.Store(true)
			v := newVerifier(t, Config{Hosts: []Host{{Host: reg.host, Insecure: true, Token: tc.token}}})
			got, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", "")
			if tc.wantCode == "" {
				if err != nil || got != img.String() {
					t.Fatalf("Resolve = %q, %v; want %s", got, err, img)
				}
				return
			}
			wantCode(t, err, derrors.Unavailable, tc.wantCode)
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("error text reveals the token: %v", err)
			}
		})
	}
}

// TestResolveWithDockerConfig uses the default keychain, which reads
// $DOCKER_CONFIG/config.json, so it cannot run in parallel.
func TestResolveWithDockerConfig(t *testing.T) {
	reg := startRegistry(t, basicAuth)
	img := imagetest.PushImage(t, reg.host, "team/app", "v1")
	reg.armed.Store(true)

	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)

	v, err := New(Config{Hosts: []Host{{Host: reg.host, Insecure: true}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", img.String())
	if err != nil || got != img.String() {
		t.Fatalf("Resolve = %q, %v; want %s", got, err, img)
	}
}
