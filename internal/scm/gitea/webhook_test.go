package gitea

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

const delivery = "9bb1e1a6-4f5e-4b0e-9a0b-4f0c8f6d2c11"

func hookHeader(event, eventType, sig string) promotion.Headers {
	h := promotion.Headers{}
	h.Set("X-Gitea-Event", event)
	if eventType != "" {
		h.Set("X-Gitea-Event-Type", eventType)
	}
	h.Set("X-Gitea-Delivery", delivery)
	if sig != "" {
		h.Set("X-Gitea-Signature", sig)
	}
	return h
}

func TestParseEvents(t *testing.T) {
	t.Parallel()
	p := newProvider(t, fakehost.New(t))
	for _, tc := range []struct {
		event, eventType, file string
		want                   promotion.Event
	}{
		{"pull_request", "pull_request", "hook-pull_request-merged.json", promotion.Event{Kind: promotion.EventMerged, Number: 5, HeadRef: branch, HeadSHA: head, MergeSHA: "7f6e5d4c3b2a19081726354453627180a9b8c7d6", Actor: "maria"}},
		{"pull_request", "pull_request", "hook-pull_request-closed.json", promotion.Event{Kind: promotion.EventClosed, Number: 5, HeadRef: branch, HeadSHA: head, Actor: "oleg"}},
		{"pull_request", "pull_request_sync", "hook-pull_request-synchronized.json", promotion.Event{Kind: promotion.EventUpdated, Number: 5, HeadRef: branch, HeadSHA: head, Actor: "ferry-bot"}},
		// Gitea before 1.20 sends no X-Gitea-Event-Type.
		{"pull_request", "", "hook-pull_request-synchronized.json", promotion.Event{Kind: promotion.EventUpdated, Number: 5, HeadRef: branch, HeadSHA: head, Actor: "ferry-bot"}},
		{"pull_request_approved", "pull_request_review_approved", "hook-pull_request_review_approved.json", promotion.Event{Kind: promotion.EventReviewed, Number: 5, HeadRef: branch, HeadSHA: head, Actor: "alice"}},
		{"pull_request_review_approved", "", "hook-pull_request_review_approved.json", promotion.Event{Kind: promotion.EventReviewed, Number: 5, HeadRef: branch, HeadSHA: head, Actor: "alice"}},
		{"status", "status", "hook-status.json", promotion.Event{Kind: promotion.EventChecks, HeadSHA: head}},
		{"push", "push", "hook-push.json", promotion.Event{Kind: promotion.EventIgnored}},
		{"pull_request", "pull_request_label", "hook-pull_request-synchronized.json", promotion.Event{Kind: promotion.EventIgnored}},
	} {
		body, err := os.ReadFile(td(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := p.Parse(hookHeader(tc.event, tc.eventType, sign("hook-secret", body)), body)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		tc.want.Delivery = delivery
		if ev != tc.want {
			t.Errorf("%s as %s/%s: Parse =\n %+v\nwant\n %+v", tc.file, tc.event, tc.eventType, ev, tc.want)
		}
	}
}

func TestParseForgejoHeaders(t *testing.T) {
	t.Parallel()
	p := newProvider(t, fakehost.New(t))
	body, err := os.ReadFile(td("hook-pull_request-merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := promotion.Headers{}
	h.Set("X-Forgejo-Event", "pull_request")
	h.Set("X-Forgejo-Delivery", delivery)
	h.Set("X-Forgejo-Signature", sign("hook-secret", body))
	ev, err := p.Parse(h, body)
	if err != nil || ev.Kind != promotion.EventMerged || ev.Delivery != delivery {
		t.Errorf("Parse = %+v, %v; want merged", ev, err)
	}
}

func TestParseRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	p := newProvider(t, fakehost.New(t))
	body, err := os.ReadFile(td("hook-pull_request-merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, sig := range map[string]string{
		"missing":      "",
		"wrong secret": sign("other", body),
		"not hex":      "sha256=" + sign("hook-secret", body),
		"truncated":    sign("hook-secret", body)[:40],
	} {
		_, err := p.Parse(hookHeader("pull_request", "pull_request", sig), body)
		if d, ok := derrors.As(err); !ok || d.Kind != derrors.Unauthenticated || d.Code != "bad_signature" {
			t.Errorf("%s: Parse = %v, want bad_signature", name, err)
		}
	}
	bad := []byte(`{"action":"closed","pull_request":`)
	_, err = p.Parse(hookHeader("pull_request", "pull_request", sign("hook-secret", bad)), bad)
	if d, ok := derrors.As(err); !ok || d.Kind != derrors.Invalid || d.Code != "invalid_webhook" {
		t.Errorf("malformed: Parse = %v, want invalid_webhook", err)
	}
}
