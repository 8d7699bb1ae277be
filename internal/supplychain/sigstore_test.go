package supplychain_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const (
	bundleType      = "application/vnd.dev.sigstore.bundle.v0.3+json"
	inTotoType      = "application/vnd.in-toto+json"
	cosignSignType  = "https://sigstore.dev/cosign/sign/v1"
	simpleSignType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	dsseEnvelopeTyp = "application/vnd.dsse.envelope.v1+json"
)

// sigstore is a virtual Sigstore (Fulcio, Rekor, TSA) from sigstore-go's
// own test helpers, and the trusted_root.json that trusts it.
type sigstore struct {
	vs   *ca.VirtualSigstore
	root string // path of trusted_root.json
}

func newSigstore(t testing.TB) *sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	// The virtual logs are keyed by hex log id but carry that hex text as
	// their id; a trusted_root.json holds the raw id, as Sigstore's does.
	fix := func(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
		for k, l := range logs {
			raw, err := hex.DecodeString(k)
			if err != nil {
				t.Fatal(err)
			}
			l.ID = raw
		}
		return logs
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(),
		fix(vs.CTLogs()), vs.TimestampingAuthorities(), fix(vs.RekorLogs()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &sigstore{vs: vs, root: path}
}

// statement is an in-toto v1 statement about one image digest.
func statement(t testing.TB, digest v1.Hash, predicateType string, predicate any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{digest.Algorithm: digest.Hex}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keylessBundle signs the statement as identity/issuer through the virtual
// Sigstore and returns the v0.3 bundle JSON cosign would attach as a referrer.
func (s *sigstore) keylessBundle(t testing.TB, identity, issuer string, stmt []byte) []byte {
	t.Helper()
	ent, err := s.vs.AttestAtTime(identity, issuer, stmt, timeNowPlus5m(), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := ent.VerificationContent()
	sc, _ := ent.SignatureContent()
	env := sc.EnvelopeContent().RawEnvelope()
	entries, _ := ent.TlogEntries()
	tsrs, _ := ent.Timestamps()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	var ts []*protocommon.RFC3161SignedTimestamp
	for _, tsr := range tsrs {
		ts = append(ts, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: tsr})
	}
	pb := &protobundle.Bundle{
		MediaType: bundleType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{s.protoEntry(t, entries[0])},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: ts},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig, Keyid: env.Signatures[0].KeyID}},
		}},
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// protoEntry completes a virtual Rekor entry as Rekor returns it: kind and
// version, and the signed entry timestamp.
func (s *sigstore) protoEntry(t testing.TB, e *tlog.Entry) *protorekor.TransparencyLogEntry {
	t.Helper()
	tle := proto.Clone(e.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &kv); err != nil {
		t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: s.set(t, e)}
	return tle
}

func (s *sigstore) set(t testing.TB, e *tlog.Entry) []byte {
	t.Helper()
	tle := e.TransparencyLogEntry()
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// keylessSig signs a simple-signing payload as identity/issuer and returns
// the layer annotations cosign writes on a sha256-<hex>.sig manifest.
func (s *sigstore) keylessSig(t testing.TB, identity, issuer string, payload []byte) map[string]string {
	t.Helper()
	ent, err := s.vs.Sign(identity, issuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := ent.VerificationContent()
	sc, _ := ent.SignatureContent()
	entries, _ := ent.TlogEntries()
	certPEM, err := cryptoutils.MarshalCertificateToPEM(vc.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	tle := entries[0].TransparencyLogEntry()
	rb, err := json.Marshal(map[string]any{
		"SignedEntryTimestamp": s.set(t, entries[0]),
		"Payload": map[string]any{
			"body":           tle.CanonicalizedBody,
			"integratedTime": tle.IntegratedTime,
			"logIndex":       tle.LogIndex,
			"logID":          hex.EncodeToString(tle.LogId.KeyId),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sc.Signature()),
		"dev.sigstore.cosign/certificate":    string(certPEM),
		"dev.sigstore.cosign/bundle":         string(rb),
	}
}

// keyPair is a generated ECDSA P-256 signing key.
type keyPair struct {
	eph *sign.EphemeralKeypair
	pem []byte
}

func newKey(t testing.TB) keyPair {
	t.Helper()
	eph, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eph.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{eph: eph, pem: []byte(p)}
}

// keySig signs a simple-signing payload with the key, as `cosign sign --key`.
func (k keyPair) keySig(t testing.TB, payload []byte) map[string]string {
	t.Helper()
	sig, _, err := k.eph.SignData(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}
}

// keyBundle signs the statement with the key into a v0.3 bundle (DSSE).
func (k keyPair) keyBundle(t testing.TB, stmt []byte) []byte {
	t.Helper()
	pb, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: inTotoType}, k.eph, sign.BundleOptions{Context: t.Context()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// simpleSigning is cosign's payload naming the signed image digest.
func simpleSigning(t testing.TB, ref string, digest v1.Hash) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": ref},
			"image":    map[string]string{"docker-manifest-digest": digest.String()},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawManifest is a manifest pushed byte for byte.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// pushLayers pushes blobs and an OCI manifest listing them (with their
// annotations) to ref: a tag, or "" to push by digest as a referrer of
// subject. It returns the manifest's digest.
func pushLayers(t testing.TB, repo name.Repository, tag string, artifactType string, subject *v1.Descriptor, layers ...layerSpec) v1.Hash {
	t.Helper()
	return pushLayersWith(t, repo, tag, artifactType, subject, nil, layers...)
}

func pushLayersWith(t testing.TB, repo name.Repository, tag string, artifactType string, subject *v1.Descriptor, opts []remote.Option, layers ...layerSpec) v1.Hash {
	t.Helper()
	emptyCfg := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
	if err := remote.WriteLayer(repo, emptyCfg, opts...); err != nil {
		t.Fatalf("pushing config: %v", err)
	}
	cfgDigest, _ := emptyCfg.Digest()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Size: 2, Digest: cfgDigest},
		Subject:       subject,
	}
	if artifactType == "" {
		m.Config.MediaType = "application/vnd.oci.image.config.v1+json"
	}
	for _, l := range layers {
		sl := static.NewLayer(l.blob, types.MediaType(l.mediaType))
		if err := remote.WriteLayer(repo, sl, opts...); err != nil {
			t.Fatalf("pushing layer: %v", err)
		}
		d, _ := sl.Digest()
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.MediaType(l.mediaType), Size: int64(len(l.blob)), Digest: d, Annotations: l.annotations})
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	d := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	var ref name.Reference = repo.Digest(d.String())
	if tag != "" {
		ref = repo.Tag(tag)
	}
	if err := remote.Put(ref, rawManifest{b: b, mt: types.OCIManifestSchema1}, opts...); err != nil {
		t.Fatalf("pushing manifest %s: %v", ref, err)
	}
	return d
}

type layerSpec struct {
	blob        []byte
	mediaType   string
	annotations map[string]string
}

// attachReferrer pushes a Sigstore bundle as an OCI 1.1 referrer of digest.
func attachReferrer(t testing.TB, repo name.Repository, subject v1.Hash, subjectType types.MediaType, bundleJSON []byte) {
	t.Helper()
	pushLayers(t, repo, "", bundleType, &v1.Descriptor{MediaType: subjectType, Digest: subject, Size: 1},
		layerSpec{blob: bundleJSON, mediaType: bundleType})
}

// sigTag pushes cosign's sha256-<hex>.sig manifest for digest.
func sigTag(t testing.TB, repo name.Repository, digest v1.Hash, payload []byte, ann map[string]string) {
	t.Helper()
	pushLayers(t, repo, digest.Algorithm+"-"+digest.Hex+".sig", "", nil, layerSpec{blob: payload, mediaType: simpleSignType, annotations: ann})
}

// attTag pushes cosign's sha256-<hex>.att manifest with a DSSE envelope
// signed by the virtual Sigstore as identity/issuer.
func (s *sigstore) attTag(t testing.TB, repo name.Repository, digest v1.Hash, identity, issuer string, stmt []byte) {
	t.Helper()
	ent, err := s.vs.Attest(identity, issuer, stmt)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := ent.VerificationContent()
	sc, _ := ent.SignatureContent()
	entries, _ := ent.TlogEntries()
	env, err := json.Marshal(sc.EnvelopeContent().RawEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := cryptoutils.MarshalCertificateToPEM(vc.Certificate())
	tle := entries[0].TransparencyLogEntry()
	rb, _ := json.Marshal(map[string]any{
		"SignedEntryTimestamp": s.set(t, entries[0]),
		"Payload": map[string]any{
			"body": tle.CanonicalizedBody, "integratedTime": tle.IntegratedTime,
			"logIndex": tle.LogIndex, "logID": hex.EncodeToString(tle.LogId.KeyId),
		},
	})
	pushLayers(t, repo, digest.Algorithm+"-"+digest.Hex+".att", "", nil, layerSpec{blob: env, mediaType: dsseEnvelopeTyp,
		annotations: map[string]string{"dev.cosignproject.cosign/signature": "", "dev.sigstore.cosign/certificate": string(certPEM), "dev.sigstore.cosign/bundle": string(rb)}})
}

// otherP256Key is a PEM key nobody signs with.
func otherP256Key(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func timeNowPlus5m() time.Time { return time.Now().Add(5 * time.Minute) }

func sha256Of(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// edKey is a generated Ed25519 signing key.
type edKey struct {
	priv ed25519.PrivateKey
	pem  []byte
}

func newEdKey(t testing.TB) edKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return edKey{priv: priv, pem: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

func (k edKey) sign(payload []byte) map[string]string {
	return map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, payload))}
}

// pushLayersAuth attaches a bundle referrer with credentials.
func pushLayersAuth(t testing.TB, repo name.Repository, subject v1.Hash, bundleJSON []byte, opts ...remote.Option) {
	t.Helper()
	pushLayersWith(t, repo, "", bundleType, &v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: subject, Size: 1}, opts,
		layerSpec{blob: bundleJSON, mediaType: bundleType})
}

// pushSigAuth pushes a .sig manifest with credentials.
func pushSigAuth(t testing.TB, repo name.Repository, digest v1.Hash, payload []byte, ann map[string]string, opts ...remote.Option) {
	t.Helper()
	pushLayersWith(t, repo, digest.Algorithm+"-"+digest.Hex+".sig", "", nil, opts, layerSpec{blob: payload, mediaType: simpleSignType, annotations: ann})
}
