package outbound

import (
	"net/http"
	"time"
)

// Observer is told about every call to a Git host's API and every wait for
// a rate limit, for the operator's metrics. Host is the API's host (one per
// configured provider), operation the HTTP method, result the status code,
// "rate_limited" (refused before sending) or "network". It must be safe for
// concurrent use and must not block.
type Observer interface {
	ObserveSCMRequest(host, operation, result string, d time.Duration)
	// ObserveSCMRateLimitWait says a request waited d for Ferry's budget
	// (reason "budget") or was held back by the host's spent limit (reason
	// "host_limit", d is the time left until the reset).
	ObserveSCMRateLimitWait(host, reason string, d time.Duration)
}

// WithObserver reports calls and rate-limit waits to o. Default: none.
func WithObserver(o Observer) Option { return func(opts *Options) { opts.Observer = o } }

func (t *Transport) observeRequest(req *http.Request, start time.Time, result string) {
	if t.observer != nil {
		t.observer.ObserveSCMRequest(req.URL.Host, req.Method, result, time.Since(start))
	}
}

func (t *Transport) observeWait(req *http.Request, reason string, d time.Duration) {
	if t.observer != nil {
		t.observer.ObserveSCMRateLimitWait(req.URL.Host, reason, d)
	}
}
