package scmtest

import (
	"net/http"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
)

// WebhookSecret is the secret (or, for basic auth, the password) every
// harness configures its provider with.
const WebhookSecret = "hook-secret"

// Harness runs the table against one host.
type Harness struct {
	// Host names the host in test names and the summary.
	Host string
	// Start serves m as the host's API on a fake that accepts Token and
	// returns a provider for it, configured with token, WebhookSecret and
	// a timeout of a second or more.
	Start func(t *testing.T, m *Model, token string) promotion.Provider
	// Deliver is the host's webhook delivery reporting kind (EventMerged
	// or EventClosed) about pr, authenticated as the host does.
	Deliver func(t *testing.T, pr *PR, kind promotion.EventKind) (promotion.Headers, []byte)
	// Forge returns a delivery whose authentication is wrong.
	Forge func(h promotion.Headers) promotion.Headers
	// Token is the provider's credential, which no error may reveal.
	Token string
}

// Headers turns a delivery's HTTP headers into the form providers read,
// as Ferry's webhook receiver does: lower-case names, first values.
func Headers(h http.Header) promotion.Headers {
	out := promotion.Headers{}
	for k, vs := range h {
		if len(vs) > 0 {
			out.Set(k, vs[0])
		}
	}
	return out
}

// Result is how many cases ran on a host and how many failed.
type Result struct {
	Cases, Failed int
}

// Run runs every case against h, each on a fresh model and fake, as
// subtests of t.
func Run(t *testing.T, h Harness) Result {
	t.Helper()
	var res Result
	for _, c := range cases {
		res.Cases++
		ok := t.Run(c.name, func(t *testing.T) {
			m := NewModel("ferry-bot")
			p := h.Start(t, m, h.Token)
			c.run(t, &env{m: m, p: p, h: h})
		})
		if !ok {
			res.Failed++
		}
	}
	return res
}

type env struct {
	m *Model
	p promotion.Provider
	h Harness
}
