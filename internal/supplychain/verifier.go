package supplychain

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry"
)

// Verifier finds and verifies images' signatures and provenance.
// It is safe for concurrent use.
type Verifier struct {
	reg     *registry.Verifier
	keyless *verify.Verifier // nil: no trusted root, keyless signatures are not trusted
	now     func() time.Time
}

// LoadTrustedRoot reads a Sigstore trusted_root.json. Ferry never fetches
// one over the network, so verification works air-gapped.
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("reading trusted root %s: %w", path, err)
	}
	return tr, nil
}

// New returns a Verifier reading through reg's allowlisted registries.
// trusted may be nil: then only key signatures can verify.
func New(reg *registry.Verifier, trusted root.TrustedMaterial, now func() time.Time) (*Verifier, error) {
	if now == nil {
		now = time.Now
	}
	v := &Verifier{reg: reg, now: now}
	if trusted != nil {
		// Keyless signing certificates live ten minutes: a signature counts
		// only with a time the transparency log vouches for.
		kv, err := verify.NewVerifier(trusted, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
		if err != nil {
			return nil, fmt.Errorf("building keyless verifier: %w", err)
		}
		v.keyless = kv
	}
	return v, nil
}

// Collect finds the signatures and attestations published for digest in
// repository and verifies each with sigstore-go: keyless ones against the
// trusted root, the others against keys. What verifies is in the facts,
// with who signed; what does not is described. Only an unreachable
// registry is an error.
func (v *Verifier) Collect(ctx context.Context, repository, digest string, keys []PublicKey) (*Facts, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Invalid, "invalid_digest", "invalid digest %q", digest)
	}
	a, err := v.reg.Artifacts(ctx, repository)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	cands, rejected, err := find(ctx, a, h)
	if err != nil {
		return nil, fmt.Errorf("finding signatures of %s@%s: %w", repository, digest, err)
	}
	f := &Facts{Digest: digest, Rejected: rejected}
	raw, err := hex.DecodeString(h.Hex)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Invalid, "invalid_digest", "invalid digest %q", digest)
	}
	for _, c := range cands {
		v.check(f, c, h.Algorithm, raw, keys)
	}
	f.VerifiedAt = v.now().UTC()
	return f, nil
}

// check verifies one candidate and records it in f.
func (v *Verifier) check(f *Facts, c candidate, algo string, digest []byte, keys []PublicKey) {
	signer, res, why := v.verify(c, algo, digest, keys)
	if why != "" {
		f.Rejected = append(f.Rejected, c.where+": "+why)
		return
	}
	if c.payload != nil {
		if err := checkSimpleSigning(c.payload, f.Digest); err != nil {
			f.Rejected = append(f.Rejected, c.where+": signature by "+signer.String()+": "+err.Error())
			return
		}
		f.addSignature(signer)
		return
	}
	if res.Statement == nil {
		// A message signature over the manifest digest itself.
		f.addSignature(signer)
		return
	}
	switch pt := res.Statement.GetPredicateType(); {
	case pt == predicateCosignSign:
		f.addSignature(signer)
	case isSLSA(pt):
		p, err := parseProvenance(pt, res.Statement.GetPredicate())
		if err != nil {
			f.Rejected = append(f.Rejected, c.where+": provenance signed by "+signer.String()+": "+err.Error())
			return
		}
		p.Signer = signer
		f.Provenance = append(f.Provenance, p)
	default:
		f.Rejected = append(f.Rejected, c.where+": attestation of type "+pt+" by "+signer.String()+" (not a signature or SLSA provenance)")
	}
}

// verify checks the candidate's signature over the digest (or, for a
// simple-signing payload, over the payload) and returns who made it, or
// why it does not count.
func (v *Verifier) verify(c candidate, algo string, digest []byte, keys []PublicKey) (Signer, *verify.VerificationResult, string) {
	artifact := func() verify.ArtifactPolicyOption {
		if c.payload != nil {
			return verify.WithArtifact(bytesReader(c.payload))
		}
		return verify.WithArtifactDigest(algo, digest)
	}
	if hasCertificate(c.entity) {
		if v.keyless == nil {
			return Signer{}, nil, "keyless signature, but this server has no trusted root configured"
		}
		res, err := v.keyless.Verify(c.entity, verify.NewPolicy(artifact(), verify.WithoutIdentitiesUnsafe()))
		if err != nil {
			return Signer{}, nil, describeUnverified(c.entity, err)
		}
		cs := res.Signature.Certificate
		return Signer{Identity: cs.SubjectAlternativeName, Issuer: cs.Extensions.Issuer}, res, ""
	}
	if len(keys) == 0 {
		return Signer{}, nil, "signed with a key, and no key is allowed"
	}
	for _, k := range keys {
		kv, err := verify.NewVerifier(k.material(), verify.WithNoObserverTimestamps())
		if err != nil {
			return Signer{}, nil, "building key verifier: " + err.Error()
		}
		res, err := kv.Verify(keyedEntity{c.entity}, verify.NewPolicy(artifact(), verify.WithKey()))
		if err == nil {
			return Signer{Key: k.ID}, res, ""
		}
	}
	return Signer{}, nil, "signed with a key that is not allowed, or not over this digest"
}

func (f *Facts) addSignature(s Signer) {
	for _, have := range f.Signatures {
		if have == s {
			return
		}
	}
	f.Signatures = append(f.Signatures, s)
}
