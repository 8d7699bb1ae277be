package server

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// Webhook secrets the tests configure: ci signs with the old or the new one
// (rotation), other with its own.
var (
	keyOld   = []byte("old-secret-0123456789abcdef")
	keyNew   = []byte("new-secret-0123456789abcdef")
	keyOther = []byte("other-secret-0123456789abcd")
)

func whsec(k []byte) config.Secret {
	return config.NewSecret("whsec_" + base64.StdEncoding.EncodeToString(k))
}

// delivery is a signed webhook request.
type delivery struct {
	sender, id, body string
	ts               int64
	key              []byte
	sig              string // overrides the signature when set
}

func (d delivery) request() request {
	sig := d.sig
	if sig == "" {
		sig = stdwebhook.Sign(d.key, d.id, d.ts, []byte(d.body))
	}
	return request{method: "POST", path: "/api/v1/hooks/" + d.sender + "/builds?wait=30s", body: d.body,
		header: map[string]string{stdwebhook.HeaderID: d.id, stdwebhook.HeaderTimestamp: strconv.FormatInt(d.ts, 10), stdwebhook.HeaderSignature: sig}}
}

// testHookRefused sends one webhook to the harness's server, which has no
// senders: the operation is in the document, and refused.
func testHookRefused(t *testing.T, h *harness) {
	before := h.written(t)
	d := delivery{sender: "ci", id: "msg_1", ts: time.Now().Unix(), key: keyOld,
		body: jsonBody(h.build("payments", "payments", "1.4.2"))}
	wantProblem(t, h.do(t, d.request()), http.StatusUnauthorized, "bad_signature")
	if after := h.written(t); after != before {
		t.Errorf("wrote: before %+v, after %+v", before, after)
	}
}

// TestWebhooks drives signed build reports through a whole Ferry.
func TestWebhooks(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	now := time.Now()
	hooks := NewHooks([]config.Webhook{
		{Name: "ci", Secrets: []config.Secret{whsec(keyOld), whsec(keyNew)}, Applications: []string{"payments"}},
		{Name: "other", Secrets: []config.Secret{whsec(keyOther)}, Applications: []string{"checkout"}},
	})
	srv := New(Config{Version: "test", Now: func() time.Time { return now }},
		Deps{Engine: h.engine, Tokens: NewTokens(nil), Hooks: hooks, Store: h.store, Log: zap.NewNop()})
	h.url = h.serve(t, srv)

	body := jsonBody(h.build("payments", "payments", "1.4.2", "digest", h.paymentsDigest.String()))
	ok := delivery{sender: "ci", id: "msg_1", body: body, ts: now.Unix(), key: keyOld}

	var first response
	t.Run("signed delivery is accepted", func(t *testing.T) {
		before := h.written(t)
		first = h.do(t, ok.request())
		var br api.BuildResponse
		decode(t, first, http.StatusAccepted, &br)
		if br.Release.ReportedBy != "ci" || br.Promotion.State != "committed" {
			t.Errorf("reported by %q, promotion %+v", br.Release.ReportedBy, br.Promotion)
		}
		if after := h.written(t); after.releases != before.releases+1 || after.head == before.head {
			t.Errorf("before %+v, after %+v: want one release and a commit", before, after)
		}
	})

	replayed := ok
	replayed.ts = now.Unix() + 60 // re-signed a minute later, as a sender retrying does
	rotated := ok
	rotated.key = keyNew
	t.Run("replayed delivery answers the first answer", func(t *testing.T) {
		before := h.written(t)
		for _, d := range []delivery{ok, replayed, rotated} {
			res := h.do(t, d.request())
			if res.status != first.status || string(res.body) != string(first.body) || res.header.Get(HeaderReplayed) != "true" {
				t.Errorf("replay: %d %s (%s %q), want the first answer", res.status, res.body, HeaderReplayed, res.header.Get(HeaderReplayed))
			}
		}
		if after := h.written(t); after != before {
			t.Errorf("a replayed delivery wrote: before %+v, after %+v", before, after)
		}
	})
	t.Run("new secret signs a new delivery", func(t *testing.T) {
		d := rotated
		d.id, d.body = "msg_2", jsonBody(h.build("payments", "payments", "1.4.3"))
		decode(t, h.do(t, d.request()), http.StatusAccepted, &api.BuildResponse{})
	})

	other := jsonBody(h.build("payments", "payments", "1.4.2"))
	refused := []struct {
		name    string
		d       delivery
		drop    string // a header to leave out
		status  int
		code    string
		detail  string
		invalid bool // the document refuses the request too
	}{
		{"expired timestamp", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix() - 301, key: keyOld}, "", 401, "bad_signature", "expired", false},
		{"future timestamp", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix() + 301, key: keyOld}, "", 401, "bad_signature", "future", false},
		{"wrong secret", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOther}, "", 401, "bad_signature", "no signature matches", false},
		{"signature over another body", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOld,
			sig: stdwebhook.Sign(keyOld, "msg_3", now.Unix(), []byte(other))}, "", 401, "bad_signature", "no signature matches", false},
		{"signature over another id", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOld,
			sig: stdwebhook.Sign(keyOld, "msg_4", now.Unix(), []byte(body))}, "", 401, "bad_signature", "no signature matches", false},
		{"signature not v1", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOld, sig: "v1a,abc"}, "", 401, "bad_signature", "no v1", false},
		{"timestamp not a number", delivery{sender: "ci", id: "msg_3", body: body, ts: -1, key: keyOld}, "", 401, "bad_signature", "Unix seconds", true},
		{"no signature header", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOld}, stdwebhook.HeaderSignature, 401, "bad_signature", "required", true},
		{"no id header", delivery{sender: "ci", id: "msg_3", body: body, ts: now.Unix(), key: keyOld}, stdwebhook.HeaderID, 401, "bad_signature", "required", true},
		{"unknown sender", delivery{sender: "nobody", id: "msg_3", body: body, ts: now.Unix(), key: keyOld}, "", 401, "bad_signature", "no webhook sender", false},
		{"another sender's application", delivery{sender: "other", id: "msg_3", body: body, ts: now.Unix(), key: keyOther}, "", 403, "forbidden", "", false},
		{"replayed id with another body", delivery{sender: "ci", id: "msg_1", body: other, ts: now.Unix(), key: keyOld}, "", 422, "idempotency_key_reused", "", false},
		{"unknown field, signed", delivery{sender: "ci", id: "msg_5", body: `{"application":"payments","force":true}`, ts: now.Unix(), key: keyOld},
			"", 400, "unknown_field", "", true},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.d.request()
			if tc.d.ts < 0 {
				req.header[stdwebhook.HeaderTimestamp] = "yesterday"
			}
			if tc.drop != "" {
				delete(req.header, tc.drop)
			}
			req.invalid = tc.invalid
			before := h.written(t)
			p := wantProblem(t, h.do(t, req), tc.status, tc.code)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
			}
			for _, k := range [][]byte{keyOld, keyNew, keyOther} {
				if strings.Contains(p.Detail, string(k)) || strings.Contains(p.Detail, base64.StdEncoding.EncodeToString(k)) {
					t.Errorf("detail %q shows a secret", p.Detail)
				}
			}
			if after := h.written(t); after != before {
				t.Errorf("a refused delivery wrote: before %+v, after %+v", before, after)
			}
		})
	}

	t.Run("rotation without restart", func(t *testing.T) {
		hooks.Replace([]config.Webhook{{Name: "ci", Secrets: []config.Secret{whsec(keyNew)}, Applications: []string{"payments"}}})
		d := ok
		d.id = "msg_6"
		p := wantProblem(t, h.do(t, d.request()), http.StatusUnauthorized, "bad_signature")
		if !strings.Contains(p.Detail, "no signature matches") {
			t.Errorf("retired secret: %q", p.Detail)
		}
		d.key = keyNew
		decode(t, h.do(t, d.request()), http.StatusOK, &api.BuildResponse{}) // a duplicate of msg_1's build
	})
}
