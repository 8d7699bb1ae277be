// Package bitbucketdc opens, reads, merges and closes Ferry's pull requests
// on Bitbucket Data Center (or Server, REST 1.0), and verifies and parses
// its webhooks.
//
// It speaks HTTP itself through outbound's transport: the Go client for
// this API (github.com/gfleury/go-bitbucket-v1) has no tagged release on
// the module proxy and is generated from an old Swagger description
// without the merge vetoes Ferry reports.
package bitbucketdc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// Provider is a Bitbucket Data Center repository's pull requests. It
// implements promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	root    string // server root, e.g. https://bitbucket.example.com
	api     string // root + /rest/api/1.0/projects/{key}/repos/{slug}
	project string
	slug    string
	auth    func(*http.Request)
	hc      *http.Client
	secret  []byte
	timeout time.Duration
}

// New returns the provider for cfg: cfg.URL is the server's root URL,
// cfg.Project "PROJECTKEY/repo-slug", cfg.Token an HTTP access token
// (bearer), or with cfg.Username a personal access token or password sent
// with basic auth.
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them. Conditional GETs
	// save the host's rate limit on the reads Ferry repeats when polling.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D()), outbound.WithConditionalGets(256)}, opts...)
	o := outbound.NewOptions(opts...)
	key, slug, ok := strings.Cut(cfg.Project, "/")
	if !ok || key == "" || slug == "" || strings.Contains(slug, "/") {
		return nil, fmt.Errorf("bitbucket-datacenter project %q is not PROJECTKEY/repo", cfg.Project)
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("bitbucket-datacenter provider needs the server's URL")
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to Bitbucket Data Center; set a token")
	}
	root := strings.TrimSuffix(strings.TrimSuffix(cfg.URL, "/"), "/rest/api/1.0")
	token, user := cfg.Token.Value(), cfg.Username
	auth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	if user != "" {
		auth = func(r *http.Request) { r.SetBasicAuth(user, token) }
	}
	return &Provider{
		root:    root,
		api:     root + "/rest/api/1.0/projects/" + url.PathEscape(key) + "/repos/" + url.PathEscape(slug),
		project: key,
		slug:    slug,
		auth:    auth,
		hc:      &http.Client{Transport: outbound.New(cfg.RequestsPerMinute, opts...)},
		secret:  []byte(cfg.WebhookSecret.Value()),
		timeout: o.Timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
