package promotion

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/supplychain"
)

// collectFunc is a SupplyChain for gate tests: the registry side is
// tested in internal/supplychain on real registries.
type collectFunc func() (*supplychain.Facts, error)

func (f collectFunc) Collect(context.Context, string, string, []supplychain.PublicKey) (*supplychain.Facts, error) {
	return f()
}

// TestSupplyChainGateDecides: the gate decides on the facts stored with the release: open
// with who signed, fail with the reason, force only with allowForce.
func TestSupplyChainGateDecides(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pk, err := supplychain.ParsePublicKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	gates := func(allowForce bool) config.Gates {
		return config.Gates{Signature: &config.SignatureGate{Keys: []config.SigningKey{{File: "k.pub", PEM: pemKey}}, AllowForce: allowForce}}
	}
	signed := &supplychain.Facts{Digest: "sha256:aa", Signatures: []supplychain.Signer{{Key: pk.ID}}}
	unsigned := &supplychain.Facts{Digest: "sha256:aa"}
	for _, tc := range []struct {
		name    string
		gates   config.Gates
		facts   *supplychain.Facts
		sc      SupplyChain
		forced  bool
		open    bool
		fail    bool
		text    string // in the note (open) or reason (fail)
		wantErr bool
	}{
		{name: "no policy", open: true},
		{name: "signed by the allowed key", gates: gates(false), facts: signed, open: true, text: "supply chain: signed by key " + pk.ID},
		{name: "unsigned", gates: gates(false), facts: unsigned, fail: true, text: "no signature by an allowed identity"},
		{name: "unsigned, forced, allowForce", gates: gates(true), facts: unsigned, forced: true, open: true, text: "supply-chain gate skipped: forced by rm-alice"},
		{name: "unsigned, forced, no allowForce", gates: gates(false), facts: unsigned, forced: true, fail: true, text: "no signature"},
		{name: "reported before the policy: verified now", gates: gates(false), sc: collectFunc(func() (*supplychain.Facts, error) { return signed, nil }), open: true, text: "signed by key"},
		{name: "reported before the policy, no verifier", gates: gates(false), fail: true, text: "does not verify them"},
		{name: "registry down", gates: gates(false), sc: collectFunc(func() (*supplychain.Facts, error) { return nil, errors.New("down") }), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := GateInput{
				Promotion: Promotion{ID: "prm_1", Forced: tc.forced, RequestedBy: "rm-alice"},
				Release:   Release{Repository: "r.example/acme/app", Digest: "sha256:aa", Verification: tc.facts},
				Env:       config.Environment{Name: "prod", Gates: tc.gates},
			}
			d, err := supplyChainGate{sc: tc.sc}.Evaluate(context.Background(), in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Evaluate error = %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if d.Open != tc.open || d.Fail != tc.fail {
				t.Fatalf("Evaluate = %+v; want open %v fail %v", d, tc.open, tc.fail)
			}
			if got := d.Note + d.Reason; !strings.Contains(got, tc.text) {
				t.Errorf("note/reason %q does not contain %q", got, tc.text)
			}
		})
	}
}
