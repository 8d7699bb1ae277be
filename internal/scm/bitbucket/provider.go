// Package bitbucket opens, reads, merges and closes Ferry's pull requests on
// Bitbucket Cloud (REST 2.0), and verifies and parses its webhooks.
//
// It speaks HTTP itself through outbound's transport: the one Go client
// (github.com/ktrysmt/go-bitbucket) decodes pull requests into untyped maps
// and returns errors without the response status, which Ferry needs to
// tell a merge conflict from a refusal.
package bitbucket

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// PublicURL is Bitbucket Cloud's API root.
const PublicURL = "https://api.bitbucket.org/2.0"

// Provider is a Bitbucket Cloud repository's pull requests. It implements
// promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	api     string // https://api.bitbucket.org/2.0/repositories/{workspace}/{repo}
	auth    func(*http.Request)
	hc      *http.Client
	secret  []byte
	timeout time.Duration
}

// New returns the provider for cfg: cfg.Project is "workspace/repo";
// cfg.Token a repository (or workspace) access token sent as a bearer
// token, or, with cfg.Username, an app password or API token sent with
// basic auth.
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them. Conditional GETs
	// save the host's rate limit on the reads Ferry repeats when polling.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D()), outbound.WithConditionalGets(256)}, opts...)
	o := outbound.NewOptions(opts...)
	ws, repo, ok := strings.Cut(cfg.Project, "/")
	if !ok || ws == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("bitbucket project %q is not workspace/repo", cfg.Project)
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to Bitbucket; set a token")
	}
	url := strings.TrimSuffix(cfg.URL, "/")
	if url == "" {
		url = PublicURL
	}
	token, user := cfg.Token.Value(), cfg.Username
	auth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	if user != "" {
		auth = func(r *http.Request) { r.SetBasicAuth(user, token) }
	}
	return &Provider{
		api:     url + "/repositories/" + ws + "/" + repo,
		auth:    auth,
		hc:      &http.Client{Transport: outbound.New(cfg.RequestsPerMinute, opts...)},
		secret:  []byte(cfg.WebhookSecret.Value()),
		timeout: o.Timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}
