package supplychain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Annotations cosign puts on each layer of a sha256-<hex>.sig or .att manifest.
const (
	annSignature   = "dev.cosignproject.cosign/signature"
	annCertificate = "dev.sigstore.cosign/certificate"
	annBundle      = "dev.sigstore.cosign/bundle"
)

// cosignRekorBundle is cosign's dev.sigstore.cosign/bundle annotation: the
// Rekor entry and its signed entry timestamp (inclusion promise).
type cosignRekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           []byte `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// simpleSigningEntity makes a .sig layer (payload = the layer's blob) into
// an entity.
func simpleSigningEntity(payload []byte, ann map[string]string) (*tagEntity, error) {
	sig, err := base64.StdEncoding.DecodeString(ann[annSignature])
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("annotation %s is missing or not base64", annSignature)
	}
	sum := sha256.Sum256(payload)
	e := &tagEntity{sig: bundle.NewMessageSignature(sum[:], "SHA2_256", sig)}
	return e, withCertAndLog(e, ann)
}

// envelopeEntity makes a .att layer (a DSSE envelope) into an entity.
func envelopeEntity(blob []byte, ann map[string]string) (*tagEntity, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(blob, &env); err != nil {
		return nil, fmt.Errorf("parsing DSSE envelope: %w", err)
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("DSSE envelope has no signature")
	}
	e := &tagEntity{sig: &bundle.Envelope{Envelope: &env}}
	return e, withCertAndLog(e, ann)
}

func withCertAndLog(e *tagEntity, ann map[string]string) error {
	if pemText := ann[annCertificate]; pemText != "" {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(pemText))
		if err != nil || len(certs) == 0 {
			return fmt.Errorf("annotation %s is not a PEM certificate", annCertificate)
		}
		e.cert = certs[0]
	}
	if raw := ann[annBundle]; raw != "" {
		entry, err := parseRekorBundle([]byte(raw))
		if err != nil {
			return fmt.Errorf("annotation %s: %w", annBundle, err)
		}
		e.tlog = []*tlog.Entry{entry}
	}
	return nil
}

func parseRekorBundle(raw []byte) (*tlog.Entry, error) {
	var rb cosignRekorBundle
	if err := json.Unmarshal(raw, &rb); err != nil {
		return nil, fmt.Errorf("parsing Rekor bundle: %w", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("log id %q is not hex", rb.Payload.LogID)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(rb.Payload.Body, &kv); err != nil {
		return nil, fmt.Errorf("parsing Rekor entry body: %w", err)
	}
	return tlog.ParseTransparencyLogEntry(&protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: rb.Payload.Body,
	})
}

// simpleSigning is the part of cosign's simple-signing payload Ferry reads.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// checkSimpleSigning makes sure a verified payload is about digest: the
// signature covers the payload, and only the payload names the image.
func checkSimpleSigning(payload []byte, digest string) error {
	var s simpleSigning
	if err := json.Unmarshal(payload, &s); err != nil {
		return fmt.Errorf("parsing simple-signing payload: %w", err)
	}
	if s.Critical.Type != "cosign container image signature" {
		return fmt.Errorf("payload type %q is not a cosign container image signature", s.Critical.Type)
	}
	if got := s.Critical.Image.DockerManifestDigest; got != digest {
		return fmt.Errorf("signature is over %s, not %s", got, digest)
	}
	return nil
}
