package supplychain_test

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/supplychain"
)

// BenchmarkReportVerification is the latency verification adds to one
// build report: finding the signatures and provenance of a digest in the
// in-process registry (referrers, .sig and .att), verifying a keyless
// signature and a keyless SLSA v1 provenance with sigstore-go, and deciding
// the policy.
func BenchmarkReportVerification(b *testing.B) {
	e := newBenchEnv(b)
	d := imagetest.PushImage(b, e.host, "acme/bench", "v1")
	e.attachBundleTB(b, "acme/bench", d, e.sig.keylessBundle(b, releaseID, ghIssuer, statement(b, d, cosignSignType, map[string]any{})))
	e.attachBundleTB(b, "acme/bench", d, e.sig.keylessBundle(b, releaseID, ghIssuer, statement(b, d, "https://slsa.dev/provenance/v1", slsaV1(ghBuilder, sourceRepo, sourceCommit))))
	pol, err := supplychain.Compile(provenanceGate(keylessGate(), true), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		f, err := e.verifier.Collect(ctx, e.host+"/acme/bench", d.String(), pol.Keys())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pol.Decide(f, sourceRepo, sourceCommit); err != nil {
			b.Fatal(err)
		}
	}
}
