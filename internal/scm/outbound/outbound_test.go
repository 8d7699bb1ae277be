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
		{"github reset", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)}, 90 * time.Second, true},
		{"gitlab reset", map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": strconv.FormatInt(now.Add(10*time.Second).Unix(), 10)}, 10 * time.Second, true},
		{"reset already passed waits a second", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)}, time.Second, true},
		// A secondary limit carries the primary window's reset with
		// requests left: that is no wait the host asked for.
		{"reset with requests remaining", map[string]string{"X-RateLimit-Remaining": "4990", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}, 0, false},
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
	tr := New(60, WithHTTPClient(srv.Client()), WithClock(func() time.Time { return now }))
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
	c := &http.Client{Transport: New(60, WithHTTPClient(srv.Client()), WithConditionalGets(2))}
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

// A "slow down" without Retry-After (GitHub's secondary rate limit) waits a
// minute, then twice as long each time in a row, never the hourly reset
// of the primary limit that GitHub also sends; a normal answer forgets it.
func TestSecondaryLimitBacksOffExponentially(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	var slowDown atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4990")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(50*time.Minute).Unix(), 10))
		if slowDown.Load() {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	tr := New(60, WithHTTPClient(srv.Client()), WithClock(func() time.Time { return now }))
	c := &http.Client{Transport: tr}
	get := func() (time.Duration, error) {
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
			return 0, nil
		}
		d, ok := derrors.As(err)
		if !ok || d.Kind != derrors.RateLimited {
			t.Fatalf("request = %v, want RateLimited", err)
		}
		return d.RetryAfter, err
	}
	slowDown.Store(true)
	for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if got, _ := get(); got != want {
			t.Errorf("RetryAfter = %s, want %s", got, want)
		}
		now = now.Add(want + time.Second) // the block has passed
	}
	slowDown.Store(false)
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	slowDown.Store(true)
	if got, _ := get(); got != time.Minute {
		t.Errorf("after a normal answer RetryAfter = %s, want a minute again", got)
	}
}

// The hourly cap holds over an hour: after a burst, writes are spaced so
// that the hour never exceeds the cap, and a write past it says when the
// next one is due.
func TestHourlyWriteCap(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer srv.Close()
	// 5000 a minute: only the hourly cap of 500 binds.
	tr := New(5000, WithHTTPClient(srv.Client()), WithClock(func() time.Time { return now }), WithHourlyWriteCap(500))
	c := &http.Client{Transport: tr}
	post := func() error {
		// A deadline a millisecond after the fake clock's now: a write not
		// due at once fails fast, and the real clock plays no part.
		ctx, cancel := context.WithDeadline(context.Background(), now.Add(time.Millisecond))
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	sent := 0
	// Walk an hour in steps of a second, sending whatever the budget allows.
	for range 3600 {
		for post() == nil {
			sent++
		}
		now = now.Add(time.Second)
	}
	if sent > 500 || sent < 470 {
		t.Errorf("%d writes in an hour, want at most 500 (and close to it)", sent)
	}
	err := post()
	for err == nil {
		err = post()
	}
	if d, ok := derrors.As(err); !ok || d.Kind != derrors.RateLimited || d.RetryAfter <= 0 || d.RetryAfter > 8*time.Second {
		t.Errorf("write past the cap = %v, want RateLimited due within the refill interval", err)
	}
}
