package outbound

import (
	"net/http"
	"time"
)

// Options are how a pull-request provider (internal/scm/github, gitlab and
// gitea) reaches its host: one set for every provider's New and for the
// Transport under it. Each field's default is in its option's doc.
type Options struct {
	Base            http.RoundTripper
	Now             func() time.Time
	Timeout         time.Duration
	ConditionalGets int
	HourlyWriteCap  int
	Observer        Observer
}

// Option sets one of Options.
type Option func(*Options)

// WithHTTPClient sends requests through hc's transport (tests use an
// httptest server's client). Default http.DefaultTransport.
func WithHTTPClient(hc *http.Client) Option { return func(o *Options) { o.Base = hc.Transport } }

// WithClock sets the clock of rate-limit resets. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithTimeout bounds each provider call, all of its requests; d <= 0 keeps
// the default. Default DefaultTimeout (15s).
func WithTimeout(d time.Duration) Option {
	return func(o *Options) {
		if d > 0 {
			o.Timeout = d
		}
	}
}

// WithConditionalGets keeps the last ETag and body of up to n GET URLs and
// revalidates them with If-None-Match; a 304 answer is served from the
// cache as a 200, so callers never see it. Default 0: off.
func WithConditionalGets(n int) Option { return func(o *Options) { o.ConditionalGets = n } }

// NewOptions returns the Options that opts set, in order, and the defaults
// for the rest.
func NewOptions(opts ...Option) Options {
	o := Options{Base: http.DefaultTransport, Now: time.Now, Timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.Base == nil {
		o.Base = http.DefaultTransport
	}
	return o
}
