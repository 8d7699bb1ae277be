package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferryhq/ferry/internal/derrors"
)

// MaxArtifactBytes bounds every response body read through Artifacts: a
// signature manifest, a referrers index, a signature or attestation blob.
// Real ones are a few kilobytes (an SLSA provenance with many materials a
// few hundred); anything larger is refused rather than held in memory.
const MaxArtifactBytes = 4 << 20

// Artifacts reads the manifests, blobs and referrers of one repository, for
// finding an image's signatures and attestations. Its requests go through
// the same allowlist guard as Resolve (no other host, no redirect away,
// plain HTTP only where allowed), and every body is bounded by
// MaxArtifactBytes.
type Artifacts struct {
	repo   name.Repository
	host   string
	guard  *guard
	opts   []remote.Option
	cancel context.CancelFunc
}

// Artifacts opens repository for reading its artifacts within Config.Timeout
// from now. Close releases it.
func (v *Verifier) Artifacts(ctx context.Context, repository string) (*Artifacts, error) {
	p, err := v.policyFor(repository)
	if err != nil {
		return nil, err
	}
	var nopts []name.Option
	if p.host.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	repo, err := name.NewRepository(repository, nopts...)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Invalid, "invalid_image", "invalid image repository %q", repository)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	g := &guard{policy: p, base: v.transport, maxBody: MaxArtifactBytes}
	return &Artifacts{
		repo:   repo,
		host:   p.registry.RegistryStr(),
		guard:  g,
		cancel: cancel,
		opts: []remote.Option{
			remote.WithContext(ctx),
			remote.WithTransport(g),
			v.authOption(p),
			remote.WithUserAgent("ferry"),
			remote.WithRetryBackoff(retryBackoff),
			remote.WithRetryPredicate(retryable),
		},
	}, nil
}

// Close ends the reader's deadline.
func (a *Artifacts) Close() { a.cancel() }

// Manifest returns the manifest a tag or digest names, or an error
// satisfying IsNotFound.
func (a *Artifacts) Manifest(ref string) (*remote.Descriptor, error) {
	r, err := name.ParseReference(a.repo.String()+refSep(ref)+ref, name.StrictValidation)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Invalid, "invalid_image", "invalid reference %q in %s", ref, a.repo)
	}
	d, err := remote.Get(r, a.opts...)
	if err != nil {
		return nil, a.classify(err, "reading manifest "+r.String())
	}
	return d, nil
}

// Blob returns the bytes of a blob, checked against its digest.
func (a *Artifacts) Blob(d v1.Hash) ([]byte, error) {
	what := "reading blob " + a.repo.Digest(d.String()).String()
	l, err := remote.Layer(a.repo.Digest(d.String()), a.opts...)
	if err != nil {
		return nil, a.classify(err, what)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, a.classify(err, what)
	}
	defer rc.Close()
	// Compressed verifies the digest once the body is read to its end.
	b, err := io.ReadAll(io.LimitReader(rc, MaxArtifactBytes+1))
	if err == nil && len(b) > MaxArtifactBytes {
		err = &tooLargeError{limit: MaxArtifactBytes}
	}
	if err != nil {
		return nil, a.classify(err, what)
	}
	return b, nil
}

// Referrers returns the descriptors of the artifacts that name d as their
// subject: the OCI 1.1 referrers API, or the registry's sha256-<hex>
// fallback tag where the API is missing. None is not an error.
func (a *Artifacts) Referrers(d v1.Hash) ([]v1.Descriptor, error) {
	idx, err := remote.Referrers(a.repo.Digest(d.String()), a.opts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, a.classify(err, "listing referrers of "+d.String())
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, a.classify(err, "reading referrers of "+d.String())
	}
	return im.Manifests, nil
}

// IsNotFound reports whether err is a registry's "no such manifest or blob".
func IsNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	return terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode, transport.BlobUnknownErrorCode)
}

func (a *Artifacts) classify(err error, what string) error {
	var refused *refusedError
	var large *tooLargeError
	switch {
	case IsNotFound(err):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &refused):
		// Unlike a failed Resolve, this is no outage to wait out: the
		// registry keeps this artifact elsewhere, where Ferry never goes.
		return derrors.Wrap(err, derrors.Unprocessable, "registry_redirect_refused",
			"%s: registry %s sent Ferry to %s, which is not on the allowlist", what, a.host, refused.host)
	case errors.As(err, &large):
		return derrors.Wrap(err, derrors.Unprocessable, "artifact_too_large",
			"%s: registry %s served more than %d bytes; a signature or attestation is never that large", what, a.host, large.limit)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return derrors.Wrap(err, derrors.Unavailable, "registry_unavailable", "%s: registry %s answered %d", what, a.host, terr.StatusCode)
	}
	return derrors.Wrap(err, derrors.Unavailable, "registry_unavailable", "%s: registry %s: %v", what, a.host, err)
}

func refSep(ref string) string {
	if _, err := v1.NewHash(ref); err == nil {
		return "@"
	}
	return ":"
}
