package supplychain

import (
	"fmt"
	"strings"
	"time"
)

// Facts are what Collect verified about one image digest: the signatures
// and provenance whose signatures verify against trusted material, and a
// description of every other candidate found, for telling a user what was
// there. They are stored with the release, so later environments decide on
// them without asking the registry again.
type Facts struct {
	Digest     string       `json:"digest"`
	Signatures []Signer     `json:"signatures,omitempty"`
	Provenance []Provenance `json:"provenance,omitempty"`
	// Rejected describes candidates that did not verify, one line each.
	Rejected   []string  `json:"rejected,omitempty"`
	VerifiedAt time.Time `json:"verifiedAt"`
}

// Signer is who made a verified signature: a Fulcio certificate identity
// (Identity and Issuer) or a public key (Key, "sha256:<hex>" of its DER).
type Signer struct {
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	Key      string `json:"key,omitempty"`
}

func (s Signer) String() string {
	if s.Key != "" {
		return "key " + s.Key
	}
	return s.Identity + " (issuer " + s.Issuer + ")"
}

// Provenance is a verified SLSA provenance statement about the digest.
type Provenance struct {
	Signer        Signer `json:"signer"`
	PredicateType string `json:"predicateType"`
	Builder       string `json:"builder"`
	SourceRepo    string `json:"sourceRepo,omitempty"`
	SourceCommit  string `json:"sourceCommit,omitempty"`
}

func (p Provenance) String() string {
	s := "built by " + p.Builder
	if p.SourceRepo != "" {
		s += " from " + p.SourceRepo
		if p.SourceCommit != "" {
			s += "@" + p.SourceCommit
		}
	}
	return s + ", signed by " + p.Signer.String()
}

// found lists what was found, for a refusal's "found: …".
func (f *Facts) found() string {
	var parts []string
	for _, s := range f.Signatures {
		parts = append(parts, "signature by "+s.String())
	}
	for _, p := range f.Provenance {
		parts = append(parts, "provenance "+p.String())
	}
	parts = append(parts, f.Rejected...)
	if len(parts) == 0 {
		return "nothing (no signature or attestation for " + f.Digest + ")"
	}
	const most = 5
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	return strings.Join(parts, "; ")
}
