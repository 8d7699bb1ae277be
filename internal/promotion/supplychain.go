package promotion

import (
	"context"
	"fmt"
	"os"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/supplychain"
)

// SupplyChain finds and verifies an image's signatures and provenance
// (internal/supplychain).
type SupplyChain interface {
	Collect(ctx context.Context, repository, digest string, keys []supplychain.PublicKey) (*supplychain.Facts, error)
}

// maxKeyFileBytes bounds a signing key file read from the environment
// repository; a PEM public key is a few hundred bytes.
const maxKeyFileBytes = 16 << 10

// readSigningKeys fills in the PEM of every key file the pipeline's
// signature gates name, read from the same snapshot as ferry.yaml, so a new
// key is reviewed like any change to the pipeline.
func readSigningKeys(snap interface{ ReadFile(string) ([]byte, error) }, p *config.Pipeline) error {
	for i := range p.Environments {
		s := p.Environments[i].Gates.Signature
		if s == nil {
			continue
		}
		for j := range s.Keys {
			k := &s.Keys[j]
			if k.File == "" {
				continue
			}
			b, err := snap.ReadFile(k.File)
			if err != nil {
				return fmt.Errorf("environments[%d].gates.signature.keys[%d].file: reading %s: %w", i, j, k.File, err)
			}
			if len(b) > maxKeyFileBytes {
				return fmt.Errorf("environments[%d].gates.signature.keys[%d].file: %s is over %d bytes", i, j, k.File, maxKeyFileBytes)
			}
			k.PEM = b
		}
	}
	return nil
}

// policies compiles the supply-chain policy of every environment that has
// one, and the keys of them all: an image is verified once, at report
// time, against every key any environment allows.
func policies(p *config.Pipeline) (map[string]*supplychain.Policy, []supplychain.PublicKey, error) {
	out := map[string]*supplychain.Policy{}
	var keys []supplychain.PublicKey
	for i, env := range p.Environments {
		pol, err := supplychain.Compile(env.Gates, os.Getenv)
		if err != nil {
			return nil, nil, derrors.Wrap(err, derrors.Unprocessable, "supply_chain_policy_invalid",
				"environments[%d] (%s): %v", i, env.Name, err)
		}
		if pol != nil {
			out[env.Name] = pol
			keys = append(keys, pol.Keys()...)
		}
	}
	return out, keys, nil
}

// verifyReport verifies a reported image when any environment of its
// pipeline asks for a signature, and records what it found with the
// release. When a first environment asks and the image does not meet its
// policy, the report is refused (422) and nothing is written.
func (e *Engine) verifyReport(ctx context.Context, p *config.Pipeline, rel *Release) error {
	pols, keys, err := policies(p)
	if err != nil || len(pols) == 0 {
		return err
	}
	if e.supply == nil {
		return derrors.New(derrors.Unprocessable, "supply_chain_policy_invalid",
			"the pipeline asks for signatures, but this server does not verify them")
	}
	facts, err := e.supply.Collect(ctx, rel.Repository, rel.Digest, keys)
	if err != nil {
		return err
	}
	rel.Verification = facts
	for _, env := range p.Firsts() {
		if pol := pols[env.Name]; pol != nil {
			if _, err := pol.Decide(facts, rel.SourceRepo, rel.SourceCommit); err != nil {
				return fmt.Errorf("entering %s: %w", env.Name, err)
			}
		}
	}
	return nil
}

// supplyChainLine is the PR body's line about the release's verification
// under env's policy: "signed by …, built by …, from …", or "".
func supplyChainLine(rel Release, env config.Environment) string {
	if rel.Verification == nil {
		return ""
	}
	pol, err := supplychain.Compile(env.Gates, os.Getenv)
	if err != nil || pol == nil {
		return ""
	}
	d, err := pol.Decide(rel.Verification, rel.SourceRepo, rel.SourceCommit)
	if err != nil {
		return ""
	}
	return d.Summary() + " (verified " + rel.Verification.VerifiedAt.Format("2006-01-02 15:04 MST") + ")"
}
