package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// client posts to destinations on the allowlist only: a URL naming another
// host is refused before any connection, and redirects are never followed
// (a destination could otherwise send Ferry anywhere).
type client struct {
	allow []string
	hc    *http.Client
}

// errNotAllowed refuses a destination off the allowlist.
var errNotAllowed = errors.New("destination host is not in notifications.allow")

func newClient(allow []string, timeout time.Duration) *client {
	return &client{allow: allow, hc: &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// post sends body to to and returns the status and the Retry-After asked
// for (0 when none). Errors never carry the URL, which may be a secret.
func (c *client) post(ctx context.Context, to string, body []byte, headers map[string]string) (int, time.Duration, error) {
	status, after, _, err := c.do(ctx, http.MethodPost, to, body, headers)
	return status, after, err
}

// do is post with any method, also returning the answer's body (at most
// 64 KiB), for the channels that read what the host answers.
func (c *client) do(ctx context.Context, method, to string, body []byte, headers map[string]string) (int, time.Duration, []byte, error) {
	u, err := url.Parse(to)
	if err != nil || !config.HostAllowed(c.allow, u.Host) {
		return 0, 0, nil, errNotAllowed
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, to, rd)
	if err != nil {
		return 0, 0, nil, errors.New("building the request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ferry")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("sending to %s failed", u.Host)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp.StatusCode, 0, nil, fmt.Errorf("%s answered a redirect (%d), which Ferry does not follow", u.Host, resp.StatusCode)
	}
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), time.Now()), answer, nil
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
