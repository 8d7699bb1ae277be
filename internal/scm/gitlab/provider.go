// Package gitlab opens, reads, merges and closes Ferry's merge requests on
// GitLab (gitlab.com or self-managed), and verifies and parses GitLab's
// webhooks.
package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
	"golang.org/x/time/rate"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

const publicURL = "https://gitlab.com"

// Provider is a GitLab project's merge requests. It implements
// promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	client  *gl.Client
	project string // "group/subgroup/project"
	secret  []byte
	timeout time.Duration
}

// Option configures a Provider.
type Option func(*options)

type options struct {
	hc      *http.Client
	now     func() time.Time
	timeout time.Duration
}

// WithHTTPClient sends requests through hc's transport (tests use an
// httptest server's client). Default http.DefaultTransport.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.hc = hc } }

// WithClock sets the clock used for rate-limit resets. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithTimeout bounds each call (all its requests). Default outbound.DefaultTimeout (15s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// New returns the provider for cfg, authenticated with cfg.Token
// (PRIVATE-TOKEN) against cfg.URL (default https://gitlab.com).
func New(cfg config.Provider, opts ...Option) (*Provider, error) {
	o := options{now: time.Now, timeout: outbound.DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if !strings.Contains(cfg.Project, "/") {
		return nil, fmt.Errorf("gitlab project %q is not group/project", cfg.Project)
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to GitLab; set a token")
	}
	var base http.RoundTripper
	if o.hc != nil {
		base = o.hc.Transport
	}
	hc := &http.Client{Transport: outbound.New(base, cfg.RequestsPerMinute, outbound.WithClock(o.now))}
	url := cfg.URL
	if url == "" {
		url = publicURL
	}
	client, err := gl.NewClient(cfg.Token.Value(),
		gl.WithBaseURL(url),
		gl.WithHTTPClient(hc),
		gl.WithUserAgent("ferry"),
		// A rate limit or an outage is reported to the engine, which
		// retries with backoff, not retried in a loop here; and the
		// outbound transport budgets requests for every host alike.
		gl.WithoutRetries(),
		gl.WithCustomLimiter(rate.NewLimiter(rate.Inf, 0)),
	)
	if err != nil {
		return nil, fmt.Errorf("configuring the GitLab client: %w", err)
	}
	return &Provider{
		client:  client,
		project: cfg.Project,
		secret:  []byte(cfg.WebhookSecret.Value()),
		timeout: o.timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
