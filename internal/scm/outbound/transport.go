// Package outbound is how Ferry's pull-request providers call their Git host:
// a per-host budget for content-creating requests, rate-limit headers
// honoured without retry loops, conditional GETs, and host failures turned
// into domain errors.
package outbound

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Transport is an http.RoundTripper that wraps a host API client's
// transport. It is safe for concurrent use.
//
// Content-creating requests (POST, PATCH, PUT, DELETE) spend a token of a
// bucket refilled at the configured requests per minute, with a burst of
// one: a request whose token is not due before the request's deadline fails
// fast with a derrors.RateLimited (RetryAfter says when the token is due)
// instead of queueing past its deadline; one that is due in time waits.
//
// A response that says the host's limit is spent (429, a 403 with
// X-RateLimit-Remaining: 0 or Retry-After, or any response with
// X-RateLimit-Remaining: 0 and a reset in the future) blocks every request
// until the reset, and the requests fail with derrors.RateLimited rather
// than being sent.
type Transport struct {
	base   http.RoundTripper
	budget *rate.Limiter
	now    func() time.Time
	etags  *etagCache

	mu           sync.Mutex
	blockedUntil time.Time
}

// Option configures a Transport.
type Option func(*Transport)

// WithClock sets the clock used for rate-limit resets. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(t *Transport) { t.now = now }
}

// WithConditionalGets keeps the last ETag and body of up to n GET URLs and
// revalidates them with If-None-Match; a 304 answer is served from the
// cache as a 200, so callers never see it. Default: off.
func WithConditionalGets(n int) Option {
	return func(t *Transport) { t.etags = newETagCache(n) }
}

// New returns a Transport sending through base (http.DefaultTransport when
// nil) with a budget of requestsPerMinute content-creating requests
// (60 when not positive).
func New(base http.RoundTripper, requestsPerMinute int, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if requestsPerMinute <= 0 {
		requestsPerMinute = 60
	}
	t := &Transport{
		base:   base,
		budget: rate.NewLimiter(rate.Every(time.Minute/time.Duration(requestsPerMinute)), 1),
		now:    time.Now,
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.blocked(); err != nil {
		return nil, err
	}
	if isWrite(req.Method) {
		if err := t.spend(req); err != nil {
			return nil, err
		}
	}
	var cached *etagEntry
	if req.Method == http.MethodGet && t.etags != nil {
		if cached = t.etags.get(req); cached != nil {
			req = req.Clone(req.Context())
			req.Header.Set("If-None-Match", cached.etag)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Unavailable, "scm_unavailable",
			"the Git host did not answer %s %s", req.Method, req.URL.Redacted())
	}
	t.noteLimit(resp)
	if err := classify(resp, t.now()); err != nil {
		if d, ok := derrors.As(err); ok && d.Kind == derrors.RateLimited {
			t.block(t.now().Add(d.RetryAfter))
		}
		return nil, err
	}
	if t.etags != nil && req.Method == http.MethodGet {
		if resp.StatusCode == http.StatusNotModified && cached != nil {
			return cached.response(req, resp), nil
		}
		return t.etags.put(req, resp)
	}
	return resp, nil
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
