package registry

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferryhq/ferry/internal/derrors"
)

// retryBackoff allows one quick retry of a flaky connection or a 5xx. CI is
// waiting on the answer, and Ferry's callers retry with their own backoff.
var retryBackoff = remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 2}

// call is one Resolve: what is asked and the guard its requests go through.
type call struct {
	repository string
	tag        string
	ref        name.Tag
	policy     *policy
	guard      *guard
	timeout    time.Duration
	opts       []remote.Option
}

// Resolve returns the digest the registry serves for repository:tag: for a
// multi-arch image the digest of its index, never a platform manifest's. If
// want is not empty, it must equal that digest. Only the registry's own
// allowlisted hosts are contacted, within Config.Timeout.
func (v *Verifier) Resolve(ctx context.Context, repository, tag, want string) (string, error) {
	p, err := v.policyFor(repository)
	if err != nil {
		return "", err
	}
	if err := CheckTag(repository, tag); err != nil {
		return "", err
	}
	if err := CheckDigest(repository, want); err != nil {
		return "", err
	}
	var nopts []name.Option
	if p.host.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	repo, err := name.NewRepository(repository, nopts...)
	if err != nil {
		return "", derrors.Wrap(err, derrors.Invalid, "invalid_image", "invalid image repository %q", repository)
	}

	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	g := &guard{policy: p, base: v.transport}
	c := &call{
		repository: repository,
		tag:        tag,
		ref:        repo.Tag(tag),
		policy:     p,
		guard:      g,
		timeout:    v.cfg.Timeout,
		opts: []remote.Option{
			remote.WithContext(ctx),
			remote.WithTransport(g),
			v.authOption(p),
			remote.WithUserAgent("ferry"),
			remote.WithRetryBackoff(retryBackoff),
			remote.WithRetryPredicate(retryable),
			remote.WithRetryStatusCodes(http.StatusInternalServerError, http.StatusBadGateway,
				http.StatusServiceUnavailable, http.StatusGatewayTimeout),
		},
	}
	return c.resolve(want)
}

func (c *call) resolve(want string) (string, error) {
	// HEAD first when CI gave the digest: it is cheap, Docker Hub does not
	// count it against the pull rate limit, and what gets pinned is CI's
	// digest, which every pull verifies against the content. Without a
	// digest, the one Ferry pins comes from the registry, so it is computed
	// from the manifest bytes (GET), never taken from a header on trust.
	if want == "" {
		return c.resolveByGet(want)
	}
	desc, err := remote.Head(c.ref, c.opts...)
	if err != nil {
		if derr := c.classify(err, true); derr != nil {
			return "", derr
		}
	} else if desc.Digest.String() == want {
		return want, nil
	}
	// HEAD was not enough: unsupported, no digest, another algorithm than
	// want's, or a mismatch, which is confirmed against the manifest bytes
	// before CI is told it sent the wrong digest.
	return c.resolveByGet(want)
}

func (c *call) resolveByGet(want string) (string, error) {
	d, err := remote.Get(c.ref, c.opts...)
	if err != nil {
		return "", c.classify(err, false)
	}
	if h := c.guard.manifestDigestHeader(); h != "" {
		sent, err := v1.NewHash(h)
		if err != nil {
			return "", derrors.Wrap(err, derrors.Unavailable, "registry_digest_inconsistent",
				"registry %s sent a malformed Docker-Content-Digest %q for %s", c.policy.registry.RegistryStr(), h, c.ref)
		}
		if got, err := hashOf(sent.Algorithm, d.Manifest); err != nil || got != sent {
			return "", derrors.New(derrors.Unavailable, "registry_digest_inconsistent",
				"registry %s claims digest %s for %s but the manifest it served hashes to %s", c.policy.registry.RegistryStr(), sent, c.ref, got)
		}
	}
	algo := "sha256"
	if want != "" {
		wh, err := v1.NewHash(want)
		if err != nil {
			return "", derrors.Wrap(err, derrors.Invalid, "invalid_digest", "invalid digest %q for %s", want, c.repository)
		}
		algo = wh.Algorithm
	}
	got, err := hashOf(algo, d.Manifest)
	if err != nil {
		return "", derrors.Wrap(err, derrors.Internal, "internal", "hashing the manifest of %s", c.ref)
	}
	if want != "" && got.String() != want {
		return "", mismatch(c.ref, want, got.String(), d)
	}
	return got.String(), nil
}

func hashOf(algo string, b []byte) (v1.Hash, error) {
	h, err := v1.Hasher(algo)
	if err != nil {
		return v1.Hash{}, err
	}
	h.Write(b)
	return v1.Hash{Algorithm: algo, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}

func mismatch(ref name.Tag, want, got string, d *remote.Descriptor) *derrors.Error {
	e := derrors.New(derrors.Unprocessable, "digest_mismatch",
		"digest mismatch for %s: CI reported %s but the registry serves %s", ref, want, got)
	if d.MediaType.IsIndex() {
		if idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest)); err == nil {
			for _, m := range idx.Manifests {
				if m.Digest.String() == want {
					e.Detail += "; the reported digest is one platform's manifest inside that multi-arch index, report the index digest instead"
					break
				}
			}
		}
	}
	return e
}

// retryable retries connection flakes and the 5xx answers listed in
// WithRetryStatusCodes, never a spent deadline.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
