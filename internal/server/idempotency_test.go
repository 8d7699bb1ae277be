package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/stdwebhook"
	"github.com/ferryhq/ferry/internal/store"
)

// requestHash is the request hash the idempotency layer stores: method,
// path and body.
func requestHash(method, path, body string) string {
	sum := sha256.Sum256([]byte(method + "\n" + path + "\n" + body))
	return hex.EncodeToString(sum[:])
}

func withKey(r request, key string) request {
	if r.header == nil {
		r.header = map[string]string{}
	}
	r.header[HeaderIdempotencyKey] = key
	return r
}

// TestIdempotency drives Idempotency-Key through the API on a whole Ferry.
func TestIdempotency(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	body := jsonBody(h.build("payments", "payments", "1.4.2", "digest", h.paymentsDigest.String()))
	post := request{method: "POST", path: "/api/v1/builds?wait=30s", token: tokAdmin, body: body}

	var first response
	t.Run("first request does the work", func(t *testing.T) {
		before := h.written(t)
		first = h.do(t, withKey(post, "build-42"))
		var br api.BuildResponse
		decode(t, first, http.StatusAccepted, &br)
		if first.header.Get(HeaderReplayed) != "" {
			t.Errorf("first answer marked %s", HeaderReplayed)
		}
		if br.Promotion.State != "committed" {
			t.Fatalf("promotion %+v, want committed", br.Promotion)
		}
		if after := h.written(t); after.releases != before.releases+1 || after.head == before.head {
			t.Errorf("before %+v, after %+v: want one release and one commit", before, after)
		}
	})
	t.Run("repeat replays the first answer without new work", func(t *testing.T) {
		before := h.written(t)
		for _, key := range []string{"build-42", `"build-42"`} { // plain, and as a structured-field string
			res := h.do(t, withKey(post, key))
			if res.status != first.status || string(res.body) != string(first.body) {
				t.Errorf("key %s: replay %d %s, want %d %s", key, res.status, res.body, first.status, first.body)
			}
			if res.header.Get(HeaderReplayed) != "true" || res.header.Get("Location") != first.header.Get("Location") {
				t.Errorf("key %s: %s %q, Location %q; want true and %q", key, HeaderReplayed,
					res.header.Get(HeaderReplayed), res.header.Get("Location"), first.header.Get("Location"))
			}
		}
		if after := h.written(t); after != before {
			t.Errorf("a replay wrote: before %+v, after %+v", before, after)
		}
	})
	t.Run("keys are scoped per token", func(t *testing.T) {
		res := h.do(t, withKey(request{method: "POST", path: "/api/v1/builds", token: tokCI, body: body}, "build-42"))
		var br api.BuildResponse
		decode(t, res, http.StatusOK, &br) // the engine's duplicate, not a replay
		if !br.Duplicate || res.header.Get(HeaderReplayed) != "" {
			t.Errorf("another token's key: duplicate %v, %s %q", br.Duplicate, HeaderReplayed, res.header.Get(HeaderReplayed))
		}
	})

	refused := []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"same key, different body", withKey(request{method: "POST", path: "/api/v1/builds", token: tokAdmin,
			body: jsonBody(h.build("payments", "payments", "1.4.3"))}, "build-42"), 422, "idempotency_key_reused"},
		{"same key, different path", withKey(request{method: "POST", path: "/api/v1/hooks/x/builds", token: tokAdmin, body: body,
			header: map[string]string{stdwebhook.HeaderID: "build-42", stdwebhook.HeaderTimestamp: "1", stdwebhook.HeaderSignature: "v1,x"}}, "build-42"),
			401, "bad_signature"},
		{"empty key", withKey(post, ""), 400, "invalid_idempotency_key"},
		{"key over 255 characters", withKey(post, strings.Repeat("k", 256)), 400, "invalid_idempotency_key"},
		{"key with a control character", withKey(post, "a\tb"), 400, "invalid_idempotency_key"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.invalid = tc.code == "invalid_idempotency_key"
			before := h.written(t)
			wantProblem(t, h.do(t, tc.req), tc.status, tc.code)
			if after := h.written(t); after != before {
				t.Errorf("a refused request wrote: before %+v, after %+v", before, after)
			}
		})
	}
	t.Run("key of 255 characters", func(t *testing.T) {
		res := h.do(t, withKey(post, strings.Repeat("k", 255)))
		decode(t, res, http.StatusOK, &api.BuildResponse{})
	})

	ctx := context.Background()
	t.Run("repeat while in flight is 409", func(t *testing.T) {
		if _, _, err := h.store.PutIdempotency(ctx, store.IdemRecord{Scope: "token:admin", Key: "in-flight",
			RequestHash: requestHash("POST", "/api/v1/builds", body)}); err != nil {
			t.Fatal(err)
		}
		before := h.written(t)
		res := h.do(t, withKey(post, "in-flight"))
		wantProblem(t, res, http.StatusConflict, "request_in_flight")
		if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
		}
		if after := h.written(t); after != before {
			t.Errorf("wrote: before %+v, after %+v", before, after)
		}
	})
	t.Run("repeat while a live holder renews its lease is 409 until the lease ends", func(t *testing.T) {
		if _, _, err := h.store.PutIdempotency(ctx, store.IdemRecord{Scope: "token:admin", Key: "leased",
			RequestHash: requestHash("POST", "/api/v1/builds", body), CreatedAt: time.Now().Add(-time.Hour),
			Owner: "other-replica", LeaseUntil: time.Now().Add(3 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		res := h.do(t, withKey(post, "leased"))
		wantProblem(t, res, http.StatusConflict, "request_in_flight")
		// Honest: the lease ends within 3s, so a retry then gets an answer.
		if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 || n > 3 {
			t.Errorf("Retry-After %q, want 1 to 3 seconds", res.header.Get("Retry-After"))
		}
	})
	// A record whose holder is gone is taken over: its lease lapsed (a
	// second old, so by age alone it would be held for the longest ?wait=
	// + 1 min), or, written before leases, it is older than that.
	for _, tc := range []struct {
		name, key string
		rec       store.IdemRecord
	}{
		{"a record whose holder's lease lapsed is taken over at once", "crashed",
			store.IdemRecord{CreatedAt: time.Now().Add(-time.Second), Owner: "killed-process", LeaseUntil: time.Now().Add(-time.Millisecond)}},
		{"abandoned in-flight record is taken over", "abandoned", store.IdemRecord{CreatedAt: time.Now().Add(-time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.Scope, tc.rec.Key, tc.rec.RequestHash = "token:admin", tc.key, requestHash("POST", "/api/v1/builds", body)
			if _, _, err := h.store.PutIdempotency(ctx, tc.rec); err != nil {
				t.Fatal(err)
			}
			res := h.do(t, withKey(post, tc.key))
			decode(t, res, http.StatusOK, &api.BuildResponse{})
			if res.header.Get(HeaderReplayed) != "" {
				t.Error("an abandoned record was replayed")
			}
		})
	}
	t.Run("5xx is not stored: the retry does the work again", func(t *testing.T) {
		down := request{method: "POST", path: "/api/v1/builds", token: tokAdmin,
			body: jsonBody(map[string]any{"application": "down", "image": h.downHost + "/acme/down", "tag": "1.0.0"})}
		for i := range 3 {
			calls := h.outbound.count(h.downHost)
			res := h.do(t, withKey(down, "outage"))
			wantProblem(t, res, http.StatusServiceUnavailable, "registry_unavailable")
			if res.header.Get(HeaderReplayed) != "" || h.outbound.count(h.downHost) == calls {
				t.Errorf("attempt %d: replayed %q, registry calls %d → %d: want the work done again",
					i, res.header.Get(HeaderReplayed), calls, h.outbound.count(h.downHost))
			}
		}
	})
	t.Run("4xx is stored and replayed", func(t *testing.T) {
		missing := withKey(request{method: "POST", path: "/api/v1/builds", token: tokAdmin,
			body: jsonBody(h.build("payments", "payments", "7.7.7"))}, "missing-tag")
		first := h.do(t, missing)
		wantProblem(t, first, http.StatusUnprocessableEntity, "tag_not_found")
		imagetest.PushImage(t, h.regHost, "acme/payments", "7.7.7") // the tag exists now…
		before := h.written(t)
		res := h.do(t, missing) // …but the key answers as it first did
		wantProblem(t, res, http.StatusUnprocessableEntity, "tag_not_found")
		if res.header.Get(HeaderReplayed) != "true" || string(res.body) != string(first.body) {
			t.Errorf("replayed %q body %s, want the first problem", res.header.Get(HeaderReplayed), res.body)
		}
		if after := h.written(t); after != before {
			t.Errorf("wrote: before %+v, after %+v", before, after)
		}
	})
	t.Run("an expired record is not replayed", func(t *testing.T) {
		if _, _, err := h.store.PutIdempotency(ctx, store.IdemRecord{Scope: "token:admin", Key: "old",
			RequestHash: requestHash("POST", "/api/v1/builds", body), CreatedAt: time.Now().Add(-25 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := h.store.CompleteIdempotency(ctx, "token:admin", "old", 418, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		res := h.do(t, withKey(post, "old"))
		decode(t, res, http.StatusOK, &api.BuildResponse{})
	})
}

func TestPurgeIdempotency(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, rec := range []store.IdemRecord{
		{Scope: "token:a", Key: "old", RequestHash: "x", CreatedAt: time.Now().Add(-25 * time.Hour)},
		{Scope: "token:a", Key: "new", RequestHash: "x"},
	} {
		if _, _, err := h.store.PutIdempotency(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	s := New(Config{}, Deps{Engine: h.engine, Tokens: NewTokens(nil), Store: h.store, Log: zap.NewNop()})
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.PurgeIdempotency(pctx, time.Hour) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, created, err := h.store.PutIdempotency(ctx, store.IdemRecord{Scope: "token:a", Key: "old", RequestHash: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if created {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the 25h-old record was not purged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if _, created, err := h.store.PutIdempotency(ctx, store.IdemRecord{Scope: "token:a", Key: "new", RequestHash: "y"}); err != nil {
		t.Fatal(err)
	} else if created {
		t.Error("a fresh record was purged")
	}
}
