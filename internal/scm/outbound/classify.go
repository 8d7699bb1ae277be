package outbound

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// classify turns the responses that mean "not now" or "not with these
// credentials" into domain errors; others pass to the client library. Error
// details name the request but never its headers, where the token is.
// backoff says how long to wait after a "slow down" that does not say.
func classify(resp *http.Response, now time.Time, backoff func() time.Duration) error {
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		drain(resp)
		return limitError(resp, now, backoff)
	case code == http.StatusForbidden:
		body := peek(resp)
		if resp.Header.Get("Retry-After") != "" ||
			resp.Header.Get("X-RateLimit-Remaining") == "0" ||
			bytes.Contains(bytes.ToLower(body), []byte("rate limit")) {
			return limitError(resp, now, backoff)
		}
		return authError(resp)
	case code == http.StatusUnauthorized:
		drain(resp)
		return authError(resp)
	case code >= 500:
		drain(resp)
		return derrors.New(derrors.Unavailable, "scm_unavailable",
			"the Git host answered %s %s with %d", resp.Request.Method, resp.Request.URL.Redacted(), code)
	}
	return nil
}

func limitError(resp *http.Response, now time.Time, backoff func() time.Duration) error {
	after, ok := retryAfter(resp.Header, now)
	if !ok {
		after = backoff()
	}
	return rateLimited(after, "the Git host rate-limited %s %s; retry in %s",
		resp.Request.Method, resp.Request.URL.Path, after.Round(time.Second))
}

func authError(resp *http.Response) error {
	return derrors.New(derrors.Unavailable, "scm_auth_failed",
		"the Git host refused Ferry's credentials for %s %s (%d); check that the token is valid and has the scopes the provider needs",
		resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
}

// retryAfter reads how long the host asks to wait: Retry-After (seconds or
// an HTTP date), else the reset of a spent limit (GitHub X-RateLimit-Reset,
// GitLab RateLimit-Reset, both Unix seconds, with Remaining 0). A reset
// with requests remaining is the primary limit's hourly window, not a
// wait: GitHub sends it on every answer, also on a secondary rate limit,
// where waiting for it would stall Ferry for up to an hour.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0), true
		}
	}
	for _, prefix := range []string{"X-RateLimit-", "RateLimit-"} {
		if h.Get(prefix+"Remaining") != "0" {
			continue
		}
		if at, ok := resetAt(h.Get(prefix + "Reset")); ok {
			return max(at.Sub(now), time.Second), true
		}
	}
	return 0, false
}

// peek reads a bounded prefix of the body and puts it back for the caller.
func peek(resp *http.Response) []byte {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
