package supplychain

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PublicKey is a signing key a policy allows.
type PublicKey struct {
	// ID is "sha256:<hex>" of the key's DER (SubjectPublicKeyInfo), the
	// name Ferry records and shows for it.
	ID       string
	verifier signature.Verifier
}

// ParsePublicKey reads a PEM public key: ECDSA P-256 or Ed25519.
func ParsePublicKey(pemText []byte) (PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil || block.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("not a PEM \"PUBLIC KEY\" block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("parsing public key: %w", err)
	}
	var v signature.Verifier
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return PublicKey{}, fmt.Errorf("ECDSA key on %s; only P-256 is allowed", k.Curve.Params().Name)
		}
		v, err = signature.LoadECDSAVerifier(k, crypto.SHA256)
	case ed25519.PublicKey:
		v, err = signature.LoadED25519Verifier(k)
	default:
		return PublicKey{}, fmt.Errorf("%T keys are not allowed; use ECDSA P-256 or Ed25519", pub)
	}
	if err != nil {
		return PublicKey{}, fmt.Errorf("loading public key: %w", err)
	}
	sum := sha256.Sum256(block.Bytes)
	return PublicKey{ID: "sha256:" + hex.EncodeToString(sum[:]), verifier: v}, nil
}

// material is the key as sigstore-go's trusted material, valid at any time:
// a key in ferry.yaml is trusted for as long as it stays there.
func (k PublicKey) material() root.TrustedMaterial {
	key := root.NewExpiringKey(k.verifier, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return key, nil
	})
}
