// Package github opens, reads, merges and closes Ferry's pull requests on
// GitHub or GitHub Enterprise, and verifies and parses GitHub's webhooks.
package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

const publicAPI = "https://api.github.com"

// Provider is a GitHub repository's pull requests. It implements
// promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	client      *gh.Client
	owner, repo string
	secret      []byte
	timeout     time.Duration
	perms       permissions // reviewers' write access, cached briefly
}

// WithHTTPClient is outbound.WithHTTPClient, for callers that name the
// provider's package (internal/server's tests).
var WithHTTPClient = outbound.WithHTTPClient

// New returns the provider for cfg: a GitHub App installation when cfg.App
// is set, else cfg.Token; GitHub Enterprise when cfg.URL is not
// https://api.github.com.
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D()), outbound.WithConditionalGets(512),
		outbound.WithHourlyWriteCap(writesPerHour)}, opts...)
	o := outbound.NewOptions(opts...)
	owner, repo, ok := strings.Cut(cfg.Project, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github project %q is not owner/repo", cfg.Project)
	}
	var tr http.RoundTripper = outbound.New(cfg.RequestsPerMinute, opts...)

	var app *ghinstallation.Transport
	if cfg.App != nil {
		var err error
		app, err = ghinstallation.New(tr, cfg.App.AppID, cfg.App.InstallationID, []byte(cfg.App.PrivateKey.Value()))
		if err != nil {
			return nil, fmt.Errorf("reading the GitHub App's private key: %w", err)
		}
		tr = app
	}
	gopts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(&http.Client{Transport: tr}),
		gh.WithUserAgent("ferry"),
		// The outbound transport tracks limits for every host alike.
		gh.WithDisableRateLimitCheck(),
	}
	if cfg.App == nil {
		gopts = append(gopts, gh.WithAuthToken(cfg.Token.Value()))
	}
	if api := strings.TrimSuffix(cfg.URL, "/"); api != "" && api != publicAPI {
		gopts = append(gopts, gh.WithEnterpriseURLs(api, api))
	}
	client, err := gh.NewClient(gopts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the GitHub client: %w", err)
	}
	if app != nil {
		app.BaseURL = strings.TrimSuffix(client.BaseURL(), "/")
	}
	return &Provider{
		client:  client,
		owner:   owner,
		repo:    repo,
		secret:  []byte(cfg.WebhookSecret.Value()),
		timeout: o.Timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
