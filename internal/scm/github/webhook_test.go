package github

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"os"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

func webhookProvider(t *testing.T, secret string) *Provider {
	t.Helper()
	p, err := New(config.Provider{Project: "acme/env", Token: config.NewSecret(token), WebhookSecret: config.NewSecret(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sign(secret string, body []byte) string { return macHex("sha256=", sha256.New, secret, body) }

// macHex is prefix and the hex HMAC of body with secret, using hash.
func macHex(prefix string, hash func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(hash, []byte(secret))
	m.Write(body)
	return prefix + hex.EncodeToString(m.Sum(nil))
}

func hookHeader(event, sig string) promotion.Headers {
	h := promotion.Headers{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if sig != "" {
		h.Set("X-Hub-Signature-256", sig)
	}
	return h
}

// GitHub's published example: https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
func TestParsePublishedTestVector(t *testing.T) {
	t.Parallel()
	p := webhookProvider(t, "It's a Secret to Everybody")
	ev, err := p.Parse(hookHeader("ping", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"), []byte("Hello, World!"))
	if err != nil {
		t.Fatalf("Parse rejected GitHub's test vector: %v", err)
	}
	if ev.Kind != promotion.EventIgnored || ev.Delivery != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Errorf("Parse = %+v", ev)
	}
}

func TestParseRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(td("hook-pull_request-merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		secret string
		h      promotion.Headers
	}{
		"missing":      {"hook-secret", hookHeader("pull_request", "")},
		"wrong secret": {"hook-secret", hookHeader("pull_request", sign("other", body))},
		"not hex":      {"hook-secret", hookHeader("pull_request", "sha256=zz")},
		"sha1 only": {"hook-secret", func() promotion.Headers {
			h := hookHeader("pull_request", "")
			h.Set("X-Hub-Signature", "sha1=0000")
			return h
		}()},
		"no secret set up": {"", hookHeader("pull_request", sign("", body))},
		// go-github's ValidateSignature takes these; GitHub sends only sha256=.
		"sha1= in the sha256 header":   {"hook-secret", hookHeader("pull_request", macHex("sha1=", sha1.New, "hook-secret", body))},
		"sha512= in the sha256 header": {"hook-secret", hookHeader("pull_request", macHex("sha512=", sha512.New, "hook-secret", body))},
		"no prefix":                    {"hook-secret", hookHeader("pull_request", sign("hook-secret", body)[len("sha256="):])},
		"upper-case prefix":            {"hook-secret", hookHeader("pull_request", "SHA256="+sign("hook-secret", body)[len("sha256="):])},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webhookProvider(t, tc.secret).Parse(tc.h, body)
			d, ok := derrors.As(err)
			if !ok || d.Kind != derrors.Unauthenticated || d.Code != "bad_signature" {
				t.Errorf("Parse = %v, want Unauthenticated bad_signature", err)
			}
		})
	}
	// A tampered body fails with the signature of the original.
	_, err = webhookProvider(t, "hook-secret").Parse(hookHeader("pull_request", sign("hook-secret", body)), append(body, ' '))
	if derrors.KindOf(err) != derrors.Unauthenticated {
		t.Errorf("tampered body: %v", err)
	}
}

func TestParseEvents(t *testing.T) {
	t.Parallel()
	const merge = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
	for _, tc := range []struct {
		event, file string
		want        promotion.Event
	}{
		{"pull_request", "hook-pull_request-merged.json", promotion.Event{Kind: promotion.EventMerged, Number: 7, HeadRef: branch, HeadSHA: head, MergeSHA: merge, Actor: "octocat"}},
		{"pull_request", "hook-pull_request-closed.json", promotion.Event{Kind: promotion.EventClosed, Number: 7, HeadRef: branch, HeadSHA: head, Actor: "octocat"}},
		{"pull_request", "hook-pull_request-synchronize.json", promotion.Event{Kind: promotion.EventUpdated, Number: 7, HeadRef: branch, HeadSHA: head, Actor: "octocat"}},
		{"pull_request", "hook-pull_request-labeled.json", promotion.Event{Kind: promotion.EventIgnored, Number: 7, HeadRef: branch, HeadSHA: head, Actor: "octocat"}},
		{"pull_request_review", "hook-pull_request_review-submitted.json", promotion.Event{Kind: promotion.EventReviewed, Number: 7, HeadRef: branch, HeadSHA: head, Actor: "alice"}},
		{"check_suite", "hook-check_suite-completed.json", promotion.Event{Kind: promotion.EventChecks, HeadSHA: head}},
		{"check_run", "hook-check_run-completed.json", promotion.Event{Kind: promotion.EventChecks, HeadSHA: head}},
		{"status", "hook-status.json", promotion.Event{Kind: promotion.EventChecks, HeadSHA: head}},
		{"delete", "hook-delete-branch.json", promotion.Event{Kind: promotion.EventUpdated, HeadRef: branch, Actor: "octocat"}},
		{"delete", "hook-delete-tag.json", promotion.Event{Kind: promotion.EventIgnored}},
		{"ping", "hook-ping.json", promotion.Event{Kind: promotion.EventIgnored}},
		{"issues", "hook-ping.json", promotion.Event{Kind: promotion.EventIgnored}},
	} {
		t.Run(tc.file+" as "+tc.event, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(td(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := webhookProvider(t, "hook-secret").Parse(hookHeader(tc.event, sign("hook-secret", body)), body)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
			if ev != tc.want {
				t.Errorf("Parse =\n %+v\nwant\n %+v", ev, tc.want)
			}
		})
	}
}

func TestParseMalformedJSON(t *testing.T) {
	t.Parallel()
	body := []byte(`{"action":"closed","pull_request":`)
	_, err := webhookProvider(t, "hook-secret").Parse(hookHeader("pull_request", sign("hook-secret", body)), body)
	d, ok := derrors.As(err)
	if !ok || d.Kind != derrors.Invalid || d.Code != "invalid_webhook" {
		t.Errorf("Parse = %v, want Invalid invalid_webhook", err)
	}
}
