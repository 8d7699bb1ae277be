package registry

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Default waits suggested to callers when the registry gives no Retry-After.
const (
	defaultRateLimitRetry   = 30 * time.Second
	defaultUnavailableRetry = 10 * time.Second
)

// classify turns an error from talking to the registry into a domain error.
// It returns nil when the error is one a GET may get past (a HEAD that the
// registry does not support, or that answered without a digest) and
// fallback is true.
func (c *call) classify(err error, fallback bool) *derrors.Error {
	ref := c.ref.String()
	host := c.policy.registry.RegistryStr()

	var refused *refusedError
	if errors.As(err, &refused) && refused.tokenService {
		return derrors.Wrap(err, derrors.Unavailable, "registry_redirect_refused",
			"registry %s sent Ferry to its token service at %s while resolving %s; refused because that host is not on the allowlist (if you trust it, add it to this registry's authHosts)", host, refused.host, ref)
	}
	if errors.As(err, &refused) {
		return derrors.Wrap(err, derrors.Unavailable, "registry_redirect_refused",
			"registry %s sent Ferry to %s while resolving %s; refused because that host is not on the allowlist", host, refused.host, ref)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return c.unavailable(err, "registry %s did not answer within %s while resolving %s", host, c.timeout, ref)
	}
	if errors.Is(err, context.Canceled) {
		return c.unavailable(err, "resolving %s in registry %s was canceled", ref, host)
	}

	var terr *transport.Error
	if !errors.As(err, &terr) {
		if fallback {
			return nil
		}
		// Connection refused, DNS, TLS, reset: the registry is not reachable.
		return c.unavailable(err, "registry %s is unreachable while resolving %s", host, ref)
	}
	switch {
	case terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
		return derrors.Wrap(err, derrors.Unprocessable, "tag_not_found",
			"tag %q of repository %s was not found in registry %s", c.tag, c.repository, host)
	case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden ||
		hasCode(terr, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
		// Registries such as Docker Hub also answer 401 for a repository that
		// does not exist, so the detail says both.
		return derrors.Wrap(err, derrors.Unavailable, "registry_auth_failed",
			"registry %s refused Ferry's credentials while resolving %s (or the repository does not exist there); check the credentials configured for %s", host, ref, host)
	case terr.StatusCode == http.StatusTooManyRequests || hasCode(terr, transport.TooManyRequestsErrorCode):
		e := derrors.Wrap(err, derrors.Unavailable, "registry_rate_limited",
			"registry %s is rate limiting Ferry while resolving %s", host, ref)
		e.RetryAfter = parseRetryAfter(c.guard.lastRetryAfter(), defaultRateLimitRetry)
		return e
	case terr.StatusCode >= 500:
		return c.unavailable(err, "registry %s answered %d while resolving %s", host, terr.StatusCode, ref)
	case fallback:
		return nil
	default:
		return c.unavailable(err, "registry %s answered %d while resolving %s", host, terr.StatusCode, ref)
	}
}

func (c *call) unavailable(err error, format string, args ...any) *derrors.Error {
	e := derrors.Wrap(err, derrors.Unavailable, "registry_unavailable", format, args...)
	e.RetryAfter = parseRetryAfter(c.guard.lastRetryAfter(), defaultUnavailableRetry)
	return e
}

func hasCode(terr *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range terr.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(h string, def time.Duration) time.Duration {
	if h == "" {
		return def
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s <= 0 {
			return def
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return def
}
