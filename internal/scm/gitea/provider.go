// Package gitea opens, reads, merges and closes Ferry's pull requests on
// Gitea or Forgejo, and verifies and parses their webhooks.
package gitea

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// Provider is a Gitea or Forgejo repository's pull requests. It implements
// promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	url         string
	token       string
	hc          *http.Client
	owner, repo string
	secret      []byte
	timeout     time.Duration
}

// WithHTTPClient is outbound.WithHTTPClient, for callers that name the
// provider's package (internal/server's tests).
var WithHTTPClient = outbound.WithHTTPClient

// New returns the provider for cfg: cfg.URL is the server's root URL (the
// SDK adds /api/v1), cfg.Token an access token with repository write.
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D())}, opts...)
	o := outbound.NewOptions(opts...)
	owner, repo, ok := strings.Cut(cfg.Project, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("gitea project %q is not owner/repo", cfg.Project)
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("gitea provider needs the server's URL")
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to Gitea; set a token")
	}
	return &Provider{
		url:     strings.TrimSuffix(strings.TrimSuffix(cfg.URL, "/"), "/api/v1"),
		token:   cfg.Token.Value(),
		hc:      &http.Client{Transport: outbound.New(cfg.RequestsPerMinute, opts...)},
		owner:   owner,
		repo:    repo,
		secret:  []byte(cfg.WebhookSecret.Value()),
		timeout: o.Timeout,
	}, nil
}

// client returns an SDK client bound to ctx. The SDK keeps one context per
// client, so each call gets its own client; it is cheap, since the server
// version is never probed.
func (p *Provider) client(ctx context.Context) (*sdk.Client, error) {
	c, err := sdk.NewClient(p.url,
		sdk.SetHTTPClient(p.hc),
		sdk.SetToken(p.token),
		sdk.SetContext(ctx),
		sdk.SetUserAgent("ferry"),
		sdk.SetGiteaVersion(""),
	)
	if err != nil {
		return nil, fmt.Errorf("configuring the Gitea client: %w", err)
	}
	return c, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
