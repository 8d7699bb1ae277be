package registry

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	registrytest "github.com/ferryhq/ferry/test/registry"
)

// TestResolveAgainstDockerRegistry talks to a real CNCF distribution server
// (Debian's docker-registry) with htpasswd basic auth over plain HTTP.
func TestResolveAgainstDockerRegistry(t *testing.T) {
	t.Parallel()
	host, user, pass := registrytest.StartDockerRegistry(t)
	creds := remote.WithAuth(&authn.Basic{Username: user, Password: pass})
	img := imagetest.PushImage(t, host, "team/app", "v1", creds)
	index, platform := imagetest.PushIndex(t, host, "team/multi", "v1", creds)

	good := newVerifier(t, Config{Hosts: []Host{{Host: host, Insecure: true, Username: user, Password: pass}}})
	for _, tc := range []struct {
		repo, want, wantDigest string
	}{
		{repo: "team/app", wantDigest: img.String()},
		{repo: "team/app", want: img.String(), wantDigest: img.String()},
		{repo: "team/multi", want: index.String(), wantDigest: index.String()},
	} {
		got, err := good.Resolve(context.Background(), host+"/"+tc.repo, "v1", tc.want)
		if err != nil || got != tc.wantDigest {
			t.Errorf("Resolve(%s, %q) = %q, %v; want %s", tc.repo, tc.want, got, err, tc.wantDigest)
		}
	}

	_, err := good.Resolve(context.Background(), host+"/team/multi", "v1", platform.String())
	wantCode(t, err, derrors.Unprocessable, "digest_mismatch")
	_, err = good.Resolve(context.Background(), host+"/team/app", "v2", "")
	wantCode(t, err, derrors.Unprocessable, "tag_not_found")

	bad := newVerifier(t, Config{Hosts: []Host{{Host: host, Insecure: true, Username: user, Password: "not-" + pass}}})
	_, err = bad.Resolve(context.Background(), host+"/team/app", "v1", "")
	wantCode(t, err, derrors.Unavailable, "registry_auth_failed")
	if strings.Contains(err.Error(), pass) {
		t.Errorf("error text reveals the password: %v", err)
	}
}
