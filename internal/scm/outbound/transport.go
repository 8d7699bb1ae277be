// Package outbound is how Ferry's pull-request providers call their Git host:
// a per-host budget for content-creating requests, rate-limit headers
// honoured without retry loops, conditional GETs, and host failures turned
// into domain errors.
package outbound

import (
	"net/http"
	"strconv"
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
	// observer hears of every call and rate-limit wait; nil for none.
	observer Observer

	mu           sync.Mutex
	blockedUntil time.Time
	hourly       *rate.Limiter // a host's hourly cap on writes; nil when none
	strikes      int           // "slow down" answers in a row that said not for how long
}

// New returns a Transport with a budget of requestsPerMinute
// content-creating requests (60 when not positive), set up by opts (see
// Options: Base, Now, ConditionalGets and HourlyWriteCap).
func New(requestsPerMinute int, opts ...Option) *Transport {
	o := NewOptions(opts...)
	if requestsPerMinute <= 0 {
		requestsPerMinute = 60
	}
	t := &Transport{
		base:   o.Base,
		budget: rate.NewLimiter(rate.Every(time.Minute/time.Duration(requestsPerMinute)), 1),
		now:    o.Now,
		hourly: hourlyLimiter(o.HourlyWriteCap),

		observer: o.Observer,
	}
	if o.ConditionalGets > 0 {
		t.etags = newETagCache(o.ConditionalGets)
	}
	return t
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	if err := t.blocked(req); err != nil {
		t.observeRequest(req, start, "rate_limited")
		return nil, err
	}
	if isWrite(req.Method) {
		if err := t.spend(req); err != nil {
			t.observeRequest(req, start, "rate_limited")
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
		t.observeRequest(req, start, "network")
		return nil, derrors.Wrap(err, derrors.Unavailable, "scm_unavailable",
			"the Git host did not answer %s %s", req.Method, req.URL.Redacted())
	}
	t.observeRequest(req, start, strconv.Itoa(resp.StatusCode))
	t.noteLimit(resp)
	if err := classify(resp, t.now(), t.backoff); err != nil {
		if d, ok := derrors.As(err); ok && d.Kind == derrors.RateLimited {
			t.block(t.now().Add(d.RetryAfter))
		}
		return nil, err
	}
	t.calm()
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
