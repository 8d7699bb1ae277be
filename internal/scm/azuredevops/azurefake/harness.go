package azurefake

import (
	"net/http"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/azuredevops"
	"github.com/ferryhq/ferry/internal/scm/outbound"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// Token is the personal access token the tests configure.
const Token = "azdopat52charss3cr3tT0kenValue0000000000000000000000"

// HookUser is the service hooks' basic-auth user name.
const HookUser = "ferry-hooks"

// Harness runs the conformance table against Azure DevOps' fake.
func Harness() scmtest.Harness {
	return scmtest.Harness{
		Host: "azure-devops",
		Start: func(t *testing.T, m *scmtest.Model, token string) promotion.Provider {
			srv := New(t, m)
			return NewProvider(t, srv.URL, srv.Client(), token)
		},
		Deliver: func(t *testing.T, pr *scmtest.PR, kind promotion.EventKind) (promotion.Headers, []byte) {
			return Deliver(t, HookUser, scmtest.WebhookSecret, pr, kind)
		},
		Forge: Forge,
		Token: Token,
	}
}

// NewProvider is the provider the harness configures for a fake at url,
// sending through hc.
func NewProvider(t testing.TB, url string, hc *http.Client, token string) *azuredevops.Provider {
	p, err := azuredevops.New(config.Provider{
		Kind: config.ProviderAzureDevOps, URL: url + Org, Project: "platform/env",
		Token: config.NewSecret(token), WebhookUsername: HookUser, WebhookSecret: config.NewSecret(scmtest.WebhookSecret),
		RequestsPerMinute: 5000,
	}, outbound.WithHTTPClient(hc), outbound.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
