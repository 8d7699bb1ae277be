package config

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
)

// SignatureGate requires a signature over the image digest by one of the
// allowed signers before a release enters the environment.
type SignatureGate struct {
	// Keyless lists the allowed Fulcio identities (cosign keyless signing).
	Keyless []KeylessSigner `yaml:"keyless"`
	// Keys lists the allowed public keys (PEM, ECDSA P-256 or Ed25519).
	Keys []SigningKey `yaml:"keys"`
	// AllowForce lets a forced promotion skip this gate; the skip is recorded.
	AllowForce bool `yaml:"allowForce"`
}

// KeylessSigner is one allowed certificate identity.
type KeylessSigner struct {
	// Issuer is the OIDC issuer, compared exactly,
	// e.g. "https://token.actions.githubusercontent.com".
	Issuer string `yaml:"issuer"`
	// Identity is a regular expression the certificate's subject alternative
	// name must match as a whole (it is anchored: "^(?:…)$").
	Identity string `yaml:"identity"`
}

// SigningKey is one allowed public key: a PEM file in the environment
// repository (so a new key is itself reviewed), or the name of an
// environment variable of the Ferry server that holds the PEM.
type SigningKey struct {
	File string `yaml:"file"`
	Env  string `yaml:"env"`
	// PEM is the key's text, filled in by whoever reads the file or variable.
	PEM []byte `yaml:"-"`
}

// ProvenanceGate requires an SLSA provenance attestation (v1 or v0.2),
// signed by an allowed signer of the environment's signature gate.
type ProvenanceGate struct {
	// Builders are the allowed builder ids, compared exactly.
	Builders []string `yaml:"builders"`
	// SourceMustMatchReport requires the provenance's source repository and
	// commit to equal the build report's source_repo and source_commit.
	SourceMustMatchReport bool `yaml:"sourceMustMatchReport"`
}

// RequiresSupplyChain reports whether the gates ask for a verified image.
func (g Gates) RequiresSupplyChain() bool {
	return g.Signature != nil || g.Provenance != nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validateSupplyChain(errs *fieldErrors, f string, g Gates) {
	if s := g.Signature; s != nil {
		if len(s.Keyless) == 0 && len(s.Keys) == 0 {
			errs.add(f+".signature", "needs at least one of keyless or keys")
		}
		for i, k := range s.Keyless {
			kf := fmt.Sprintf("%s.signature.keyless[%d]", f, i)
			if u, err := url.Parse(k.Issuer); err != nil || u.Scheme == "" || u.Host == "" {
				errs.add(kf+".issuer", "%q is not an issuer URL", k.Issuer)
			}
			if strings.TrimSpace(k.Identity) == "" {
				errs.add(kf+".identity", "required (a regular expression over the certificate identity)")
			} else if _, err := regexp.Compile(AnchoredIdentity(k.Identity)); err != nil {
				errs.add(kf+".identity", "not a regular expression: %v", err)
			}
		}
		for i, k := range s.Keys {
			kf := fmt.Sprintf("%s.signature.keys[%d]", f, i)
			switch {
			case (k.File == "") == (k.Env == ""):
				errs.add(kf, "set exactly one of file or env")
			case k.File != "" && (path.IsAbs(k.File) || strings.Contains("/"+k.File+"/", "/../")):
				errs.add(kf+".file", "%q must stay inside the repository", k.File)
			case k.Env != "" && !envNameRE.MatchString(k.Env):
				errs.add(kf+".env", "%q is not an environment variable name", k.Env)
			}
		}
	}
	if p := g.Provenance; p != nil {
		if len(p.Builders) == 0 {
			errs.add(f+".provenance.builders", "at least one builder id is required")
		}
		for i, b := range p.Builders {
			if strings.TrimSpace(b) == "" {
				errs.add(fmt.Sprintf("%s.provenance.builders[%d]", f, i), "must not be empty")
			}
		}
		if g.Signature == nil {
			errs.add(f+".provenance", "needs a signature gate too: its signers are who may sign the provenance")
		}
	}
}

// validateTrustedRoot checks that the server's trusted root can be read.
func validateTrustedRoot(errs *fieldErrors, path string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		errs.add("trustedRoot", "cannot read %q: %v", path, err)
	}
}

// AnchoredIdentity returns the identity expression anchored at both ends,
// so "https://github.com/acme/.*" cannot match a longer or prefixed name.
func AnchoredIdentity(expr string) string {
	return "^(?:" + expr + ")$"
}
