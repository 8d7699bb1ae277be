package supplychain

import (
	"crypto/x509"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// tagEntity is a signature published with cosign's tag scheme, as
// sigstore-go's SignedEntity: a signature (over a simple-signing payload, or
// a DSSE envelope) with its Fulcio certificate and Rekor entry taken from
// the layer's annotations. It carries what a v0.1 bundle does (an
// inclusion promise, no proof), so it is verified like one.
type tagEntity struct {
	cert *x509.Certificate // nil when signed with a key
	sig  verify.SignatureContent
	tlog []*tlog.Entry
}

func (e *tagEntity) HasInclusionPromise() bool { return len(e.tlog) > 0 }
func (e *tagEntity) HasInclusionProof() bool   { return false }
func (e *tagEntity) SignatureContent() (verify.SignatureContent, error) {
	return e.sig, nil
}
func (e *tagEntity) Timestamps() ([][]byte, error)       { return nil, nil }
func (e *tagEntity) TlogEntries() ([]*tlog.Entry, error) { return e.tlog, nil }
func (e *tagEntity) Version() (string, error)            { return "v0.1", nil }
func (e *tagEntity) VerificationContent() (verify.VerificationContent, error) {
	if e.cert != nil {
		return bundle.NewCertificate(e.cert), nil
	}
	return &bundle.PublicKey{}, nil
}

// keyedEntity presents a key-signed entity to a verifier whose only trusted
// material is one public key: the policy names the key, so its signature is
// what counts, and log entries (for a log Ferry holds no key of) are left out.
type keyedEntity struct{ verify.SignedEntity }

func (e keyedEntity) HasInclusionPromise() bool           { return false }
func (e keyedEntity) HasInclusionProof() bool             { return false }
func (e keyedEntity) Timestamps() ([][]byte, error)       { return nil, nil }
func (e keyedEntity) TlogEntries() ([]*tlog.Entry, error) { return nil, nil }

// hasCertificate reports whether the entity is signed with a certificate
// (keyless) rather than a key.
func hasCertificate(e verify.SignedEntity) bool {
	vc, err := e.VerificationContent()
	return err == nil && vc.Certificate() != nil
}
