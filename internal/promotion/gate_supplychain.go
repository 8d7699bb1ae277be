package promotion

import (
	"context"
	"os"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/supplychain"
)

// supplyChainGate lets a release into an environment whose policy asks for
// a signature (and provenance) only when the image meets it. It decides on
// the facts recorded when the release was reported; a release reported
// before the policy existed is verified now. A refusal fails the promotion
// with the reason: waiting would not sign the image. A forced promotion
// passes without the signature only where the policy says allowForce, and
// its note says so.
type supplyChainGate struct {
	sc  SupplyChain // nil: this server verifies nothing, gated environments refuse
	log *zap.Logger
}

func (supplyChainGate) Name() string { return "supply-chain" }

func (g supplyChainGate) Evaluate(ctx context.Context, in GateInput) (Decision, error) {
	pol, err := supplychain.Compile(in.Env.Gates, os.Getenv)
	if err != nil {
		return Decision{Fail: true, Reason: "supply-chain policy of " + in.Env.Name + ": " + err.Error()}, nil
	}
	if pol == nil {
		return Decision{Open: true}, nil
	}
	rel := in.Release
	facts := rel.Verification
	if facts == nil {
		if g.sc == nil {
			return Decision{Fail: true, Reason: in.Env.Name + " asks for signatures, but this server does not verify them"}, nil
		}
		if facts, err = g.sc.Collect(ctx, rel.Repository, rel.Digest, pol.Keys()); err != nil {
			return Decision{}, err // the registry is unreachable: retried
		}
	}
	d, err := pol.Decide(facts, rel.SourceRepo, rel.SourceCommit)
	if err == nil {
		return Decision{Open: true, Note: "supply chain: " + d.Summary()}, nil
	}
	if in.Promotion.Forced && pol.AllowForce {
		if g.log != nil {
			g.log.Warn("supply-chain gate skipped by force", zap.String("promotion", in.Promotion.ID),
				zap.String("environment", in.Env.Name), zap.Error(err))
		}
		return Decision{Open: true, Note: "supply-chain gate skipped: forced by " + orSomeone(in.Promotion.RequestedBy) +
			" and the policy allows force (" + publicError(err) + ")"}, nil
	}
	return Decision{Fail: true, Reason: publicError(err)}, nil
}
