package dcfake

import (
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/bitbucketdc"
	"github.com/ferryhq/ferry/internal/scm/outbound"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// Token is the HTTP access token the tests configure.
const Token = "BBDC-NjY3ODkwMTIzNDU2s3cr3tT0kenValue"

// Harness runs the conformance table against Bitbucket Data Center's fake.
func Harness() scmtest.Harness {
	return scmtest.Harness{
		Host: "bitbucket-datacenter",
		Start: func(t *testing.T, m *scmtest.Model, token string) promotion.Provider {
			srv := New(t, m)
			p, err := bitbucketdc.New(config.Provider{
				Kind: config.ProviderBitbucketDC, URL: srv.URL, Project: "ACME/env",
				Token: config.NewSecret(token), WebhookSecret: config.NewSecret(scmtest.WebhookSecret), RequestsPerMinute: 5000,
			}, outbound.WithHTTPClient(srv.Client()), outbound.WithTimeout(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Deliver: func(t *testing.T, pr *scmtest.PR, kind promotion.EventKind) (promotion.Headers, []byte) {
			return Deliver(t, scmtest.WebhookSecret, pr, kind)
		},
		Forge: Forge,
		Token: Token,
	}
}
