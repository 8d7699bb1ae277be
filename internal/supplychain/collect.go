package supplychain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry"
)

// maxCandidates bounds the signatures and attestations looked at per image:
// a registry could list thousands of referrers, and each costs requests.
const maxCandidates = 32

// ociEmpty is the config media type of an OCI 1.1 artifact without config.
const ociEmpty = "application/vnd.oci.empty.v1+json"

// errNotBundle is a referrer that is some other artifact (an SBOM, say).
var errNotBundle = errors.New("not a Sigstore bundle")

// isBundleType reports whether mt is a Sigstore bundle media type, any
// version ("application/vnd.dev.sigstore.bundle.v0.3+json" and the older
// "application/vnd.dev.sigstore.bundle+json;version=0.2").
func isBundleType(mt string) bool {
	return strings.HasPrefix(mt, "application/vnd.dev.sigstore.bundle")
}

// candidate is one signature or attestation found for the digest.
type candidate struct {
	where  string // for messages: which referrer or tag layer
	entity verify.SignedEntity
	// payload is a simple-signing payload: the signature is over it, and it
	// must name the digest.
	payload []byte
}

// find collects the candidates published for digest both ways clients
// publish them. A candidate that cannot be read or parsed is described in
// rejected; only an unreachable registry is an error.
func find(ctx context.Context, a *registry.Artifacts, digest v1.Hash) (cands []candidate, rejected []string, err error) {
	reject := func(where string, err error) error {
		if derrors.KindOf(err) == derrors.Unavailable {
			return err
		}
		rejected = append(rejected, where+": "+err.Error())
		return nil
	}
	refs, err := a.Referrers(digest)
	if err != nil {
		if err := reject("referrers of "+digest.String(), err); err != nil {
			return nil, nil, err
		}
	}
	for _, d := range refs {
		// Registries disagree on a referrer's artifactType (the manifest's,
		// or its config's media type, which is "empty" for a bundle), so an
		// undecided one is opened and judged by its own manifest.
		if !(isBundleType(d.ArtifactType) || d.ArtifactType == "" || d.ArtifactType == ociEmpty) || len(cands) >= maxCandidates {
			continue
		}
		where := "referrer " + d.Digest.String()
		c, err := referrerBundle(a, d)
		if errors.Is(err, errNotBundle) {
			continue
		}
		if err != nil {
			if err := reject(where, err); err != nil {
				return nil, nil, err
			}
			continue
		}
		c.where = where
		cands = append(cands, c)
	}
	for _, suffix := range []string{".sig", ".att"} {
		tag := digest.Algorithm + "-" + digest.Hex + suffix
		found, err := tagLayers(a, tag, len(cands))
		if err != nil {
			if err := reject("tag "+tag, err); err != nil {
				return nil, nil, err
			}
		}
		for _, f := range found {
			if f.err != nil {
				rejected = append(rejected, f.where+": "+f.err.Error())
				continue
			}
			cands = append(cands, f.candidate)
		}
	}
	return cands, rejected, nil
}

// referrerBundle reads a Sigstore bundle referrer: a manifest whose one
// layer is the bundle's JSON.
func referrerBundle(a *registry.Artifacts, d v1.Descriptor) (candidate, error) {
	m, err := manifestOf(a, d.Digest.String())
	if err != nil {
		return candidate{}, err
	}
	if !isBundleType(m.ArtifactType) && !isBundleType(string(m.Config.MediaType)) &&
		(len(m.Layers) == 0 || !isBundleType(string(m.Layers[0].MediaType))) {
		return candidate{}, errNotBundle
	}
	if len(m.Layers) == 0 {
		return candidate{}, fmt.Errorf("bundle manifest has no layer")
	}
	b, err := a.Blob(m.Layers[0].Digest)
	if err != nil {
		return candidate{}, err
	}
	var bun bundle.Bundle
	if err := bun.UnmarshalJSON(b); err != nil {
		return candidate{}, fmt.Errorf("parsing Sigstore bundle: %w", err)
	}
	return candidate{entity: &bun}, nil
}

type tagFind struct {
	candidate
	where string
	err   error
}

// tagLayers reads cosign's sha256-<hex>.sig or .att manifest: each layer
// one signature. No such tag is no candidate.
func tagLayers(a *registry.Artifacts, tag string, have int) ([]tagFind, error) {
	m, err := manifestOf(a, tag)
	if registry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []tagFind
	for i, l := range m.Layers {
		if have+len(out) >= maxCandidates {
			break
		}
		f := tagFind{where: fmt.Sprintf("tag %s layer %d", tag, i)}
		f.candidate.where = f.where
		blob, err := a.Blob(l.Digest)
		if err != nil {
			if derrors.KindOf(err) == derrors.Unavailable {
				return nil, err
			}
			f.err = err
			out = append(out, f)
			continue
		}
		var e *tagEntity
		if strings.HasSuffix(tag, ".sig") {
			e, f.err = simpleSigningEntity(blob, l.Annotations)
			f.payload = blob
		} else {
			e, f.err = envelopeEntity(blob, l.Annotations)
		}
		if f.err == nil {
			f.entity = e
		}
		out = append(out, f)
	}
	return out, nil
}

func manifestOf(a *registry.Artifacts, ref string) (*v1.Manifest, error) {
	d, err := a.Manifest(ref)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", ref, err)
	}
	return m, nil
}
