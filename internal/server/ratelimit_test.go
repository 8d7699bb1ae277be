package server

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/config"
)

// TestRateLimit: a token bucket per token, and per client address for
// requests without valid credentials.
func TestRateLimit(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	tokens := NewTokens([]config.Token{
		{Name: "admin", SHA256: HashToken(tokAdmin), Scopes: []string{scopeRead}},
		{Name: "reader", SHA256: HashToken(tokRead), Scopes: []string{scopeRead}},
	})
	deps := Deps{Engine: h.engine, Tokens: tokens, Store: h.store, Log: zap.NewNop()}
	h.url = h.serve(t, New(Config{Version: "test", RequestsPerMinute: 1, Burst: 2}, deps))

	get := func(token string) response {
		return h.do(t, request{method: "GET", path: "/api/v1/releases", token: token})
	}
	for i := range 2 {
		if res := get(tokRead); res.status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i, res.status, res.body)
		}
	}
	res := get(tokRead)
	wantProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
		t.Errorf("Retry-After %q, want 1 to 60 seconds", res.header.Get("Retry-After"))
	}
	if res := get(tokAdmin); res.status != http.StatusOK {
		t.Errorf("another token was limited: %d %s", res.status, res.body)
	}

	// Bad tokens are charged to the client address: two 401s, then 429.
	for range 2 {
		wantProblem(t, get("wrong-token"), http.StatusUnauthorized, "unauthorized")
	}
	wantProblem(t, get("another-wrong-token"), http.StatusTooManyRequests, "rate_limited")
	// A valid token has its own bucket, whatever the address.
	if res := get(tokAdmin); res.status != http.StatusOK {
		t.Errorf("a valid token after the address's burst: %d %s", res.status, res.body)
	}
}

// TestRateLimitWebhookSender: a sender has its own bucket, and forged
// deliveries are charged to their address, not to the sender.
func TestRateLimitWebhookSender(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	hooks := NewHooks([]config.Webhook{{Name: "ci", Secrets: []config.Secret{whsec(keyOld)}, Applications: []string{"payments"}}})
	h.url = h.serve(t, New(Config{Version: "test", RequestsPerMinute: 1, Burst: 1},
		Deps{Engine: h.engine, Tokens: NewTokens(nil), Hooks: hooks, Store: h.store, Log: zap.NewNop()}))
	body := jsonBody(h.build("payments", "payments", "1.4.2"))
	forged := delivery{sender: "ci", id: "msg_f", body: body, ts: time.Now().Unix(), key: keyOther}
	wantProblem(t, h.do(t, forged.request()), http.StatusUnauthorized, "bad_signature")
	wantProblem(t, h.do(t, forged.request()), http.StatusTooManyRequests, "rate_limited") // the address's bucket

	d := delivery{sender: "ci", id: "msg_1", body: body, ts: time.Now().Unix(), key: keyOld}
	decode(t, h.do(t, d.request()), http.StatusAccepted, &api.BuildResponse{})
	d.id = "msg_2"
	wantProblem(t, h.do(t, d.request()), http.StatusTooManyRequests, "rate_limited") // the sender's bucket
}

// TestRateLimitSCMWebhook: Git-host deliveries that do not verify are
// charged to their address like any request without valid credentials.
func TestRateLimitSCMWebhook(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	h.url = h.serve(t, New(Config{Version: "test", RequestsPerMinute: 1, Burst: 1},
		Deps{Engine: h.engine, Tokens: NewTokens(nil), Store: h.store, Log: zap.NewNop()}))
	hook := request{method: "POST", path: "/api/v1/scm/env/webhook", body: `{"action":"closed"}`,
		header: map[string]string{"X-GitHub-Event": "pull_request"}}
	wantProblem(t, h.do(t, hook), http.StatusNotFound, "not_found") // env has no Git host provider
	res := h.do(t, hook)
	wantProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}
