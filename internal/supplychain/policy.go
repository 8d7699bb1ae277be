package supplychain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// Problem codes of a refusal, stable for clients.
const (
	CodeSignatureRequired  = "signature_required"
	CodeProvenanceRequired = "provenance_required"
	CodeSourceMismatch     = "provenance_source_mismatch"
)

// Policy is one environment's supply-chain gates, ready to decide.
type Policy struct {
	keyless    []verify.CertificateIdentity
	keys       []PublicKey
	provenance *config.ProvenanceGate
	// AllowForce lets a forced promotion skip the gate (recorded).
	AllowForce bool
}

// Compile prepares an environment's gates. It returns nil when they ask for
// nothing. Keys come from SigningKey.PEM (read from the environment
// repository by the caller) or from getenv.
func Compile(g config.Gates, getenv func(string) string) (*Policy, error) {
	if !g.RequiresSupplyChain() {
		return nil, nil
	}
	p := &Policy{provenance: g.Provenance}
	if s := g.Signature; s != nil {
		p.AllowForce = s.AllowForce
		for i, k := range s.Keyless {
			id, err := verify.NewShortCertificateIdentity(k.Issuer, "", "", config.AnchoredIdentity(k.Identity))
			if err != nil {
				return nil, fmt.Errorf("gates.signature.keyless[%d]: %w", i, err)
			}
			p.keyless = append(p.keyless, id)
		}
		for i, k := range s.Keys {
			text, from := k.PEM, k.File
			if k.Env != "" {
				text, from = []byte(getenv(k.Env)), "environment variable "+k.Env
			}
			if len(text) == 0 {
				return nil, fmt.Errorf("gates.signature.keys[%d]: %s is empty or missing", i, from)
			}
			pk, err := ParsePublicKey(text)
			if err != nil {
				return nil, fmt.Errorf("gates.signature.keys[%d] (%s): %w", i, from, err)
			}
			p.keys = append(p.keys, pk)
		}
	}
	return p, nil
}

// Keys returns the keys the policy allows, for Collect.
func (p *Policy) Keys() []PublicKey { return p.keys }

// Decision is what let a release through a policy.
type Decision struct {
	Signer     Signer
	Provenance *Provenance
}

// Summary is the decision in one line: "signed by …, built by …, from …".
func (d Decision) Summary() string {
	s := "signed by " + d.Signer.String()
	if p := d.Provenance; p != nil {
		s += ", built by " + p.Builder
		if p.SourceRepo != "" {
			s += ", from " + p.SourceRepo + "@" + p.SourceCommit
		}
	}
	return s
}

// Decide reports whether the verified facts meet the policy for a release
// CI reported from sourceRepo at sourceCommit. A refusal is an
// Unprocessable *derrors.Error whose detail says what was required and what
// was found.
func (p *Policy) Decide(f *Facts, sourceRepo, sourceCommit string) (Decision, error) {
	var d Decision
	ok := false
	for _, s := range f.Signatures {
		if p.allows(s) {
			d.Signer, ok = s, true
			break
		}
	}
	if !ok {
		return d, derrors.New(derrors.Unprocessable, CodeSignatureRequired,
			"no signature by an allowed identity over %s (allowed: %s); found: %s", f.Digest, p.allowed(), f.found())
	}
	if p.provenance == nil {
		return d, nil
	}
	var signed []Provenance
	for _, pr := range f.Provenance {
		if p.allows(pr.Signer) {
			signed = append(signed, pr)
		}
	}
	if len(signed) == 0 {
		return d, derrors.New(derrors.Unprocessable, CodeProvenanceRequired,
			"no SLSA provenance for %s signed by an allowed identity; found: %s", f.Digest, f.found())
	}
	var built []Provenance
	for _, pr := range signed {
		if slices.Contains(p.provenance.Builders, pr.Builder) {
			built = append(built, pr)
		}
	}
	if len(built) == 0 {
		return d, derrors.New(derrors.Unprocessable, CodeProvenanceRequired,
			"provenance of %s is built by %s, not an allowed builder (%s)", f.Digest, builders(signed), strings.Join(p.provenance.Builders, ", "))
	}
	if !p.provenance.SourceMustMatchReport {
		d.Provenance = &built[0]
		return d, nil
	}
	for i, pr := range built {
		if sameRepo(pr.SourceRepo, sourceRepo) && strings.EqualFold(pr.SourceCommit, sourceCommit) && sourceCommit != "" {
			d.Provenance = &built[i]
			return d, nil
		}
	}
	return d, derrors.New(derrors.Unprocessable, CodeSourceMismatch,
		"provenance of %s is from %s@%s, but CI reported source %s@%s", f.Digest, built[0].SourceRepo, built[0].SourceCommit, sourceRepo, sourceCommit)
}

func (p *Policy) allows(s Signer) bool {
	if s.Key != "" {
		return slices.ContainsFunc(p.keys, func(k PublicKey) bool { return k.ID == s.Key })
	}
	sum := certificate.Summary{SubjectAlternativeName: s.Identity}
	sum.Issuer = s.Issuer
	for _, id := range p.keyless {
		if id.Verify(sum) == nil {
			return true
		}
	}
	return false
}

func (p *Policy) allowed() string {
	var out []string
	for _, id := range p.keyless {
		out = append(out, id.SubjectAlternativeName.Regexp.String()+" from "+id.Issuer.Issuer)
	}
	for _, k := range p.keys {
		out = append(out, "key "+k.ID)
	}
	return strings.Join(out, ", ")
}

func builders(ps []Provenance) string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Builder) {
			out = append(out, p.Builder)
		}
	}
	return strings.Join(out, ", ")
}
