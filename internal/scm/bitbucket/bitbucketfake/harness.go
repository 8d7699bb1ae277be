package bitbucketfake

import (
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/bitbucket"
	"github.com/ferryhq/ferry/internal/scm/outbound"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// Token is the repository access token the tests configure.
const Token = "ATCTT3xFfGN0s3cr3tT0kenValue"

// Harness runs the conformance table against Bitbucket Cloud's fake.
func Harness() scmtest.Harness {
	return scmtest.Harness{
		Host: "bitbucket",
		Start: func(t *testing.T, m *scmtest.Model, token string) promotion.Provider {
			srv := New(t, m)
			p, err := bitbucket.New(config.Provider{
				Kind: config.ProviderBitbucket, URL: srv.URL + "/2.0", Project: "acme/env",
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
