package bitbucketdc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Payloads abbreviated from Bitbucket Data Center's event payload
// reference (https://confluence.atlassian.com/bitbucketserver/event-payload-938025882.html),
// keeping every field Ferry reads.
const (
	approvedPayload = `{"eventKey":"pr:reviewer:approved","date":"2026-11-21T09:40:00+0000",
"actor":{"name":"alice","emailAddress":"alice@example.com","id":3,"displayName":"Alice","active":true,"slug":"alice","type":"NORMAL"},
"pullRequest":{"id":7,"version":2,"title":"Promote","state":"OPEN","open":true,"closed":false,"createdDate":1732179600000,"updatedDate":1732182000000,
"fromRef":{"id":"refs/heads/ferry/payments/prod","displayId":"ferry/payments/prod","latestCommit":"3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e","repository":{"slug":"env","project":{"key":"ACME"}}},
"toRef":{"id":"refs/heads/main","displayId":"main","latestCommit":"ce5965ddd289d1ef2e5f0bda6b4a3c1e5e1c8b2a","repository":{"slug":"env","project":{"key":"ACME"}}},
"locked":false,"author":{"user":{"name":"ferry-bot"},"role":"AUTHOR","approved":false,"status":"UNAPPROVED"},"reviewers":[],"participants":[]},
"participant":{"user":{"name":"alice"},"role":"REVIEWER","approved":true,"status":"APPROVED"},"previousStatus":"UNAPPROVED"}`
	pingPayload = `{"test":true}`
)

func sign(body string) string {
	m := hmac.New(sha256.New, []byte("hook-secret"))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestParseEvents(t *testing.T) {
	t.Parallel()
	p, err := New(config.Provider{URL: "https://bitbucket.example.com", Project: "ACME/env", Token: config.NewSecret("t"), WebhookSecret: config.NewSecret("hook-secret")})
	if err != nil {
		t.Fatal(err)
	}
	head := promotion.Event{Delivery: "d1", Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: "3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e", Actor: "alice"}
	with := func(k promotion.EventKind) promotion.Event { e := head; e.Kind = k; return e }
	for _, tc := range []struct {
		key, body string
		want      promotion.Event
	}{
		{"pr:reviewer:approved", approvedPayload, with(promotion.EventReviewed)},
		{"pr:reviewer:needs_work", approvedPayload, with(promotion.EventReviewed)},
		{"pr:from_ref_updated", approvedPayload, with(promotion.EventUpdated)},
		{"pr:deleted", approvedPayload, with(promotion.EventClosed)},
		{"pr:comment:added", approvedPayload, with(promotion.EventIgnored)},
		{"diagnostics:ping", pingPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventIgnored}},
	} {
		h := promotion.Headers{}
		h.Set("X-Event-Key", tc.key)
		h.Set("X-Request-Id", "d1")
		h.Set("X-Hub-Signature", sign(tc.body))
		ev, err := p.Parse(h, []byte(tc.body))
		if err != nil || ev != tc.want {
			t.Errorf("%s: Parse = %+v, %v; want %+v", tc.key, ev, err, tc.want)
		}
	}
	h := promotion.Headers{}
	h.Set("X-Event-Key", "diagnostics:ping")
	if _, err := p.Parse(h, []byte(pingPayload)); derrors.KindOf(err) != derrors.Unauthenticated {
		t.Errorf("unsigned: err = %v, want unauthenticated", err)
	}
}
