package supplychain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func TestSameRepo(t *testing.T) {
	for _, tc := range []struct {
		provenance, report string
		want               bool
	}{
		{"git+https://github.com/acme/app@refs/heads/main", "https://github.com/acme/app", true},
		{"git+https://github.com/acme/app.git@refs/tags/v1", "https://github.com/Acme/App.git", true},
		{"https://gitlab.com/acme/app", "acme/app", true},
		{"git+https://github.com/acme/app@refs/heads/main", "git@github.com:acme/app.git", true},
		{"git+https://github.com/acme/app@refs/heads/main", "https://github.com/acme/app-fork", false},
		{"git+https://github.com/evil/acme/app", "github.com/acme/app", false},
		{"git+https://github.com/acme/app", "", false},
	} {
		if got := sameRepo(tc.provenance, tc.report); got != tc.want {
			t.Errorf("sameRepo(%q, %q) = %v; want %v", tc.provenance, tc.report, got, tc.want)
		}
	}
}

func TestParsePublicKeyAllowsP256AndEd25519Only(t *testing.T) {
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k384.PublicKey)
	if _, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err == nil || !strings.Contains(err.Error(), "only P-256") {
		t.Errorf("P-384 key: %v; want refused", err)
	}
	if _, err := ParsePublicKey([]byte("not pem")); err == nil {
		t.Error("garbage accepted")
	}
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&k256.PublicKey)
	k, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil || !strings.HasPrefix(k.ID, "sha256:") || len(k.ID) != len("sha256:")+64 {
		t.Errorf("P-256 key: %+v, %v", k, err)
	}
}
