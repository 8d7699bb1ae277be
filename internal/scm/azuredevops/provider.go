// Package azuredevops opens, reads, completes and abandons Ferry's pull
// requests on Azure DevOps (Azure Repos, Services or Server), and verifies
// and parses its service hooks.
//
// It speaks HTTP itself through outbound's transport: Microsoft's Go client
// (github.com/microsoft/azure-devops-go-api/azuredevops/v7, last changed in
// 2024 with no tag since v7.1.0) makes its own http.Client for each API
// area, passing on only a TLS config and a timeout, so the shared request
// budget and rate-limit handling could not wrap it, and it resolves every
// route with an extra OPTIONS call to the location service first.
package azuredevops

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

// apiVersion is the REST version Ferry speaks; 7.1 is served by Azure
// DevOps Services and Server 2022.1 and later.
const apiVersion = "7.1"

// Provider is an Azure Repos Git repository's pull requests. It implements
// promotion.PullRequests and promotion.Webhooks.
type Provider struct {
	org      string // https://dev.azure.com/{organization}
	project  string
	api      string // org/{project}/_apis/git/repositories/{repo}
	token    string
	hc       *http.Client
	hookUser string
	hookPass string
	timeout  time.Duration
}

// New returns the provider for cfg: cfg.URL is the organization (or
// collection) URL, cfg.Project "project/repo", cfg.Token a personal access
// token with Code (read & write) and Code (status); service hooks must send
// cfg.WebhookUsername and cfg.WebhookSecret with basic auth.
func New(cfg config.Provider, opts ...outbound.Option) (*Provider, error) {
	// cfg's first: the caller's options override them. Conditional GETs
	// save the host's rate limit on the reads Ferry repeats when polling.
	opts = append([]outbound.Option{outbound.WithTimeout(cfg.Timeout.D()), outbound.WithConditionalGets(256)}, opts...)
	o := outbound.NewOptions(opts...)
	project, repo, ok := strings.Cut(cfg.Project, "/")
	if !ok || project == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("azure-devops project %q is not project/repo", cfg.Project)
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("azure-devops provider needs the organization's URL, e.g. https://dev.azure.com/acme")
	}
	if cfg.App != nil {
		return nil, fmt.Errorf("a GitHub App cannot authenticate to Azure DevOps; set a token")
	}
	org := strings.TrimSuffix(cfg.URL, "/")
	return &Provider{
		org:      org,
		project:  project,
		api:      org + "/" + url.PathEscape(project) + "/_apis/git/repositories/" + url.PathEscape(repo),
		token:    cfg.Token.Value(),
		hc:       &http.Client{Transport: outbound.New(cfg.RequestsPerMinute, opts...)},
		hookUser: cfg.WebhookUsername,
		hookPass: cfg.WebhookSecret.Value(),
		timeout:  o.Timeout,
	}, nil
}

func (p *Provider) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}

// url is the repository's API path with query and the API version.
func (p *Provider) url(path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if q.Get("api-version") == "" {
		q.Set("api-version", apiVersion)
	}
	return p.api + path + "?" + q.Encode()
}
