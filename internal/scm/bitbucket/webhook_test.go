package bitbucket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Payloads abbreviated from Bitbucket Cloud's event payload reference
// (https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/),
// keeping every field Ferry reads.
const (
	approvedPayload = `{"actor":{"type":"user","nickname":"alice","display_name":"Alice","uuid":"{a1}"},
"approval":{"date":"2026-11-21T09:40:00.000000+00:00","user":{"type":"user","nickname":"alice","uuid":"{a1}"}},
"pullrequest":{"type":"pullrequest","id":7,"title":"Promote","state":"OPEN","author":{"nickname":"ferry-bot","uuid":"{b0}"},
"source":{"branch":{"name":"ferry/payments/prod"},"commit":{"hash":"3c1f5e7a9b2d"},"repository":{"full_name":"acme/env"}},
"destination":{"branch":{"name":"main"},"commit":{"hash":"ce5965ddd289"},"repository":{"full_name":"acme/env"}},
"links":{"html":{"href":"https://bitbucket.org/acme/env/pull-requests/7"}}},
"repository":{"type":"repository","full_name":"acme/env"}}`
	statusPayload = `{"actor":{"type":"user","nickname":"ci"},
"commit_status":{"type":"build","key":"build","state":"SUCCESSFUL","name":"build #12","url":"https://ci.example.com/12",
"commit":{"type":"commit","hash":"3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"},"refname":"ferry/payments/prod"},
"repository":{"type":"repository","full_name":"acme/env"}}`
	pushPayload = `{"actor":{"nickname":"alice"},"push":{"changes":[]},"repository":{"full_name":"acme/env"}}`
)

func sign(body string) string {
	m := hmac.New(sha256.New, []byte("hook-secret"))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestParseEvents(t *testing.T) {
	t.Parallel()
	p, err := New(config.Provider{Project: "acme/env", Token: config.NewSecret("t"), WebhookSecret: config.NewSecret("hook-secret")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, body string
		want      promotion.Event
	}{
		{"pullrequest:approved", approvedPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventReviewed, Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: "3c1f5e7a9b2d", Actor: "alice"}},
		{"pullrequest:changes_request_created", approvedPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventReviewed, Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: "3c1f5e7a9b2d", Actor: "alice"}},
		{"pullrequest:updated", approvedPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventUpdated, Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: "3c1f5e7a9b2d", Actor: "alice"}},
		{"repo:commit_status_updated", statusPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventChecks, HeadSHA: "3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e", Actor: "ci"}},
		{"repo:push", pushPayload, promotion.Event{Delivery: "d1", Kind: promotion.EventIgnored}},
	} {
		h := promotion.Headers{}
		h.Set("X-Event-Key", tc.key)
		h.Set("X-Request-UUID", "d1")
		h.Set("X-Hub-Signature", sign(tc.body))
		ev, err := p.Parse(h, []byte(tc.body))
		if err != nil || ev != tc.want {
			t.Errorf("%s: Parse = %+v, %v; want %+v", tc.key, ev, err, tc.want)
		}
	}
}

func TestParseRefusesUnsignedAndSha1(t *testing.T) {
	t.Parallel()
	p, _ := New(config.Provider{Project: "acme/env", Token: config.NewSecret("t"), WebhookSecret: config.NewSecret("hook-secret")})
	for name, sig := range map[string]string{"none": "", "sha1": "sha1=" + sign(pushPayload)[7:47], "bare hex": sign(pushPayload)[7:]} {
		h := promotion.Headers{}
		h.Set("X-Event-Key", "repo:push")
		h.Set("X-Hub-Signature", sig)
		if _, err := p.Parse(h, []byte(pushPayload)); derrors.KindOf(err) != derrors.Unauthenticated {
			t.Errorf("%s signature: err = %v, want unauthenticated", name, err)
		}
	}
}
