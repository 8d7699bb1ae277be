package outbound

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"seconds", map[string]string{"Retry-After": "120"}, 2 * time.Minute, true},
		{"http date", map[string]string{"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, 30 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": "Wed, 25 Nov 2026 11:00:00 GMT"}, 0, true},
		{"github reset", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)}, 90 * time.Second, true},
		{"gitlab reset", map[string]string{"RateLimit-Reset": strconv.FormatInt(now.Add(10*time.Second).Unix(), 10)}, 10 * time.Second, true},
		{"reset already passed waits a second", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)}, time.Second, true},
		{"Retry-After wins", map[string]string{"Retry-After": "5", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}, 5 * time.Second, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"none", nil, 0, false},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		got, ok := retryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: retryAfter = %s, %v; want %s, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// A 200 that spends the last request of the window blocks further requests
// until the reset, without sending them.
func TestSpentLimitBlocksUntilReset(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "1800000300")
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	tr := New(srv.Client().Transport, 60, WithClock(func() time.Time { return now }))
	c := &http.Client{Transport: tr}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = c.Get(srv.URL)
	if d, ok := derrors.As(err); !ok || d.Kind != derrors.RateLimited || d.RetryAfter != 5*time.Minute {
		t.Fatalf("second request = %v, want RateLimited for 5m", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
	now = now.Add(301 * time.Second)
	if resp, err = c.Get(srv.URL); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	resp.Body.Close()
}

func TestETagCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	var notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := `"` + r.URL.Path + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "body of "+r.URL.Path)
	}))
	defer srv.Close()
	c := &http.Client{Transport: New(srv.Client().Transport, 60, WithConditionalGets(2))}
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", path, resp.StatusCode)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	get("/a")
	get("/b")
	if got := get("/a"); got != "body of /a" || notModified.Load() != 1 {
		t.Fatalf("revalidated /a = %q (304s: %d)", got, notModified.Load())
	}
	get("/c") // evicts /b, the least recently used
	get("/b")
	if notModified.Load() != 1 {
		t.Errorf("304s = %d, want 1: /b should have been evicted", notModified.Load())
	}
	if got := get("/a"); got != "body of /a" || notModified.Load() != 1 {
		// /a was evicted by /b after /c; a fresh 200 is fine, a 304 is not expected.
		t.Errorf("/a = %q (304s: %d)", got, notModified.Load())
	}
}
