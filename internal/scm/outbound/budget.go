package outbound

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// spend takes one token of the write budget, waiting for it when it is due
// before req's deadline and failing fast otherwise.
func (t *Transport) spend(req *http.Request) error {
	ctx := req.Context()
	now := t.now()
	r := t.budget.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(delay).After(dl) {
		r.CancelAt(now)
		return rateLimited(delay, "Ferry's budget of requests to the Git host is spent; the next one is due in %s", delay.Round(time.Second))
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return derrors.Wrap(ctx.Err(), derrors.Unavailable, "scm_unavailable", "waiting for the request budget of the Git host")
	}
}

// blocked fails while the host has said its limit is spent.
func (t *Transport) blocked() error {
	t.mu.Lock()
	until := t.blockedUntil
	t.mu.Unlock()
	if wait := until.Sub(t.now()); wait > 0 {
		return rateLimited(wait, "the Git host's rate limit is spent; it resets in %s", wait.Round(time.Second))
	}
	return nil
}

func (t *Transport) block(until time.Time) {
	t.mu.Lock()
	if until.After(t.blockedUntil) {
		t.blockedUntil = until
	}
	t.mu.Unlock()
}

// noteLimit remembers a spent primary limit reported on any response, so the
// next request is not sent only to be refused.
func (t *Transport) noteLimit(resp *http.Response) {
	for _, prefix := range []string{"X-RateLimit-", "RateLimit-"} {
		if resp.Header.Get(prefix+"Remaining") != "0" {
			continue
		}
		if reset, ok := resetAt(resp.Header.Get(prefix + "Reset")); ok {
			t.block(reset)
		}
	}
}

// resetAt parses a reset header given in Unix seconds.
func resetAt(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

func rateLimited(after time.Duration, format string, args ...any) *derrors.Error {
	e := derrors.New(derrors.RateLimited, "scm_rate_limited", format, args...)
	e.RetryAfter = after
	return e
}
