package promotion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

const signedPipeline = `environments:
  - name: dev
    gates:
      signature: {keys: [{file: keys/ci.pub}]}
  - name: stage
    from: dev
  - name: prod
    from: stage
    gates:
      signature: {keys: [{file: keys/release.pub}]}
  - name: canary
    from: stage
    gates:
      signature: {keys: [{file: keys/release.pub}], allowForce: true}
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

const canaryKustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../base/payments
images:
  - name: REGISTRY/acme/payments
    newTag: 0.0.0
`

// signingKey is a generated ECDSA P-256 key, as `cosign generate-key-pair`.
type signingKey struct {
	priv *ecdsa.PrivateKey
	pem  string
}

func newSigningKey(t *testing.T) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{priv: k, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// sign publishes `cosign sign --key` signatures of repo@digest, one layer
// per key: the simple-signing payload in a sha256-<hex>.sig manifest.
func (f *fixture) sign(repo, digest string, keys ...signingKey) {
	f.t.Helper()
	payload, _ := json.Marshal(map[string]any{"critical": map[string]any{
		"identity": map[string]string{"docker-reference": f.host + "/" + repo},
		"image":    map[string]string{"docker-manifest-digest": digest},
		"type":     "cosign container image signature",
	}})
	sum := sha256.Sum256(payload)
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for _, k := range keys {
		sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
		if err != nil {
			f.t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:       static.NewLayer(payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
			Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)},
		})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	ref, err := name.NewTag(f.host+"/"+repo+":"+strings.Replace(digest, ":", "-", 1)+".sig", name.Insecure)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		f.t.Fatalf("pushing signature: %v", err)
	}
}

// reportSigned pushes payments:tag, signs it with keys and reports it.
func (f *fixture) reportSigned(tag string, keys ...signingKey) promotion.Reported {
	f.t.Helper()
	d := f.push("acme/payments", tag)
	f.sign("acme/payments", d, keys...)
	r, err := f.eng.ReportBuild(context.Background(), f.build("payments", tag), ci)
	if err != nil {
		f.t.Fatalf("ReportBuild(payments %s): %v", tag, err)
	}
	return r
}

func (f *fixture) notes(id string) string {
	f.t.Helper()
	ts, err := f.store.Transitions(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, tr := range ts {
		out = append(out, tr.Reason)
	}
	return strings.Join(out, " | ")
}

// TestSupplyChainGate: an environment whose policy asks for a signature
// receives only images signed by an allowed key; the first one refuses an
// unsigned report with 422 and records nothing; a later one fails the
// promotion with the reason; force skips the gate only where allowForce.
func TestSupplyChainGate(t *testing.T) {
	ciKey, releaseKey := newSigningKey(t), newSigningKey(t)
	f := newFixture(t, setup{supplyChain: true, files: map[string]string{
		"ferry.yaml": signedPipeline, "keys/ci.pub": ciKey.pem, "keys/release.pub": releaseKey.pem,
		"envs/canary/payments/kustomization.yaml": canaryKustomization,
	}})
	ctx := context.Background()

	// Unsigned: refused at report time, nothing written.
	f.push("acme/payments", "0.9.0")
	_, err := f.eng.ReportBuild(ctx, f.build("payments", "0.9.0"), ci)
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.Unprocessable || de.Code != "signature_required" ||
		!strings.Contains(de.Detail, "no signature by an allowed identity") || !strings.Contains(de.Detail, "found: nothing") {
		t.Fatalf("unsigned report: %v; want 422 signature_required", err)
	}
	if _, err := f.store.FindReleaseByTag(ctx, "payments", "0.9.0"); !errors.Is(err, derrors.ErrNotFound) {
		t.Fatalf("the refused release was stored: %v", err)
	}

	// Signed by the CI key: accepted, verified once, promoted through dev
	// and stage; prod wants the release key and fails with the reason.
	r := f.reportSigned("1.0.0", ciKey)
	if v := r.Release.Verification; v == nil || len(v.Signatures) != 1 || !strings.HasPrefix(v.Signatures[0].Key, "sha256:") {
		t.Fatalf("release verification = %+v; want the CI key's signature", v)
	}
	f.run()
	if dev := f.wait(r.Promotion.ID); dev.State != promotion.StateCommitted {
		t.Fatalf("dev: %s %s", dev.State, dev.Reason)
	}
	if n := f.notes(r.Promotion.ID); !strings.Contains(n, "supply chain: signed by key sha256:") {
		t.Errorf("dev history does not say who signed: %q", n)
	}
	f.awaitState(r.Release.ID, "stage", promotion.StateCommitted)
	prod := f.awaitState(r.Release.ID, "prod", promotion.StateFailed)
	if !strings.Contains(prod.Reason, "no signature by an allowed identity") || !strings.Contains(prod.Reason, "found: signature by key sha256:") {
		t.Errorf("prod reason = %q", prod.Reason)
	}

	// Force into canary (allowForce) passes and says so; into prod it does not.
	canaryRel := f.reportSigned("1.1.0", ciKey).Release.ID
	forced, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "canary", Release: canaryRel, Force: true}, "rm-alice")
	if err != nil {
		t.Fatal(err)
	}
	if p := f.wait(forced.ID); p.State != promotion.StateCommitted || !strings.Contains(f.notes(p.ID), "supply-chain gate skipped: forced by rm-alice") {
		t.Errorf("forced canary: %s %q; notes %q", p.State, p.Reason, f.notes(p.ID))
	}
	forcedProd, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: canaryRel, Force: true}, "rm-alice")
	if err != nil {
		t.Fatal(err)
	}
	if p := f.wait(forcedProd.ID); p.State != promotion.StateFailed || !strings.Contains(p.Reason, "no signature by an allowed identity") {
		t.Errorf("forced prod without allowForce: %s %q", p.State, p.Reason)
	}

	// Signed by both keys (cosign adds each signature as a layer): reaches prod.
	r2 := f.reportSigned("2.0.0", ciKey, releaseKey)
	if p := f.awaitState(r2.Release.ID, "prod", promotion.StateCommitted); !strings.Contains(f.notes(p.ID), "supply chain: signed by key") {
		t.Errorf("prod notes = %q", f.notes(p.ID))
	}
}
