package config

import (
	"strings"
	"testing"
)

const scBase = `applications:
  - name: app
    image: registry.example.com/acme/app
    target: {kind: kustomize, path: "envs/{env}/kustomization.yaml"}
environments:
  - name: dev
`

// TestSupplyChainGatesValidate: every mistake in a signature or provenance
// gate is named by its field.
func TestSupplyChainGatesValidate(t *testing.T) {
	for _, tc := range []struct {
		name, gates string
		want        []string // field names in the error; none means valid
	}{
		{"keyless and keys", `{signature: {keyless: [{issuer: "https://token.actions.githubusercontent.com", identity: "https://github.com/acme/.*"}], keys: [{file: keys/ci.pub}, {env: FERRY_KEY}], allowForce: true}, provenance: {builders: [b], sourceMustMatchReport: true}}`, nil},
		{"empty signature", `{signature: {}}`, []string{"environments[0].gates.signature: needs at least one"}},
		{"bad issuer and identity", `{signature: {keyless: [{issuer: "token.actions", identity: "(["}]}}`,
			[]string{"environments[0].gates.signature.keyless[0].issuer", "environments[0].gates.signature.keyless[0].identity: not a regular expression"}},
		{"missing identity", `{signature: {keyless: [{issuer: "https://gitlab.com"}]}}`, []string{"keyless[0].identity: required"}},
		{"key with both", `{signature: {keys: [{file: a.pub, env: A}]}}`, []string{"keys[0]: set exactly one of file or env"}},
		{"key outside repo", `{signature: {keys: [{file: ../a.pub}]}}`, []string{"keys[0].file"}},
		{"bad env name", `{signature: {keys: [{env: "A-B"}]}}`, []string{"keys[0].env"}},
		{"provenance without builders or signature", `{provenance: {sourceMustMatchReport: true}}`,
			[]string{"gates.provenance.builders", "gates.provenance: needs a signature gate"}},
		{"unknown field", `{signature: {keys: [{path: a.pub}]}}`, []string{"field path not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePipeline([]byte(scBase+"    gates: "+tc.gates+"\n"), "main")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("ParsePipeline: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParsePipeline accepted %s", tc.gates)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestAnchoredIdentity(t *testing.T) {
	if got := AnchoredIdentity("a|b"); got != "^(?:a|b)$" {
		t.Errorf("AnchoredIdentity = %q", got)
	}
}
