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

// WithHTTPClient is outbound.WithHTTPClient, for callers that name the
// provider's package (internal/server's tests).
var WithHTTPClient = outbound.WithHTTPClient

// New returns the provider for cfg, authenticated with cfg.Token
// (PRIVATE-TOKEN) against cfg.URL (default https://gitlab.com).
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D())}, opts...)
	o := outbound.NewOptions(opts...)
	if !strings.Contains(cfg.Project, "/") {
		return nil, fmt.Errorf("gitlab project %q is not group/project", cfg.Project)
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to GitLab; set a token")
	}
	hc := &http.Client{Transport: outbound.New(cfg.RequestsPerMinute, opts...)}
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
		timeout: o.Timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
