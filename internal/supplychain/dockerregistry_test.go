package supplychain_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/supplychain"
	registrytest "github.com/ferryhq/ferry/test/registry"
)

// TestAgainstDockerRegistry finds and verifies signatures in a real CNCF
// distribution server (Debian's docker-registry, basic auth, no referrers
// API): a referrer bundle through the sha256-<hex> fallback index that
// go-containerregistry keeps, and cosign's .sig tag.
func TestAgainstDockerRegistry(t *testing.T) {
	host, user, pass := registrytest.StartDockerRegistry(t)
	creds := remote.WithAuth(&authn.Basic{Username: user, Password: pass})
	sig := newSigstore(t)
	key := newKey(t)
	v := newVerifier(t, host, user, pass, sig.root)

	keyless := imagetest.PushImage(t, host, "acme/app", "v1", creds)
	repo := repoOf(t, host, "acme/app")
	pushLayersAuth(t, repo, keyless, sig.keylessBundle(t, releaseID, ghIssuer, statement(t, keyless, cosignSignType, map[string]any{})), creds)

	keyed := imagetest.PushImage(t, host, "acme/app", "v2", creds)
	p := simpleSigning(t, host+"/acme/app", keyed)
	pushSigAuth(t, repo, keyed, p, key.keySig(t, p), creds)

	unsigned := imagetest.PushImage(t, host, "acme/app", "v3", creds)

	pol, err := supplychain.Compile(keylessGate(), nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPol, err := supplychain.Compile(keyGate(key.pem), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		digest v1.Hash
		pol    *supplychain.Policy
		ok     bool
	}{
		{"keyless referrer", keyless, pol, true},
		{"key .sig", keyed, keyPol, true},
		{"unsigned", unsigned, keyPol, false},
		{"key .sig under a keyless policy", keyed, pol, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := v.Collect(context.Background(), host+"/acme/app", tc.digest.String(), tc.pol.Keys())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			d, err := tc.pol.Decide(f, sourceRepo, sourceCommit)
			if (err == nil) != tc.ok {
				t.Fatalf("Decide = %s, %v; want accepted %v", d.Summary(), err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "no signature by an allowed identity") {
				t.Errorf("refusal = %v", err)
			}
		})
	}
}
