package outbound

import (
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/ferryhq/ferry/internal/derrors"
)

// hourlyBurst is how many writes of an hourly cap may go at once. A token
// bucket of burst b refilled at r per hour lets b + r through in any
// rolling hour, so the bucket is refilled at cap-hourlyBurst per hour to
// keep every hour within the cap; 20 still lets a busy release open and
// comment on a handful of pull requests without waiting.
const hourlyBurst = 20

// WithHourlyWriteCap also limits content-creating requests to n in any
// rolling hour, for hosts that document such a cap (GitHub: 500 an hour,
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
// Default: none beyond the per-minute budget.
func WithHourlyWriteCap(n int) Option { return func(o *Options) { o.HourlyWriteCap = n } }

// hourlyLimiter returns the bucket of an hourly cap of n writes, or nil
// for none.
func hourlyLimiter(n int) *rate.Limiter {
	if n <= 0 {
		return nil
	}
	burst := min(hourlyBurst, n)
	per := time.Hour / time.Duration(max(n-burst, 1))
	return rate.NewLimiter(rate.Every(per), burst)
}

// spend takes one token of the write budget (and of the hourly cap, when
// there is one), waiting for them when they are due before req's deadline
// and failing fast otherwise.
func (t *Transport) spend(req *http.Request) error {
	ctx := req.Context()
	now := t.now()
	reservations := []*rate.Reservation{t.budget.ReserveN(now, 1)}
	if t.hourly != nil {
		reservations = append(reservations, t.hourly.ReserveN(now, 1))
	}
	var delay time.Duration
	for _, r := range reservations {
		delay = max(delay, r.DelayFrom(now))
	}
	if delay == 0 {
		return nil
	}
	cancel := func() {
		for _, r := range reservations {
			r.CancelAt(now)
		}
	}
	t.observeWait(req, "budget", delay)
	if dl, ok := ctx.Deadline(); ok && now.Add(delay).After(dl) {
		cancel()
		return rateLimited(delay, "Ferry's budget of requests to the Git host is spent; the next one is due in %s", delay.Round(time.Second))
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		cancel()
		return derrors.Wrap(ctx.Err(), derrors.Unavailable, "scm_unavailable", "waiting for the request budget of the Git host")
	}
}

// firstBackoff and maxDoublings shape the wait after a "slow down" that
// does not say for how long (GitHub's secondary rate limit without
// Retry-After): GitHub asks for at least a minute, then exponentially
// longer while it persists; five doublings cap the wait at 32 minutes, so
// Ferry looks again well within the hour.
const (
	firstBackoff = time.Minute
	maxDoublings = 5
)

// backoff returns the next wait after a "slow down" without a length, one
// minute doubling with each such answer in a row.
func (t *Transport) backoff() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := firstBackoff << min(t.strikes, maxDoublings)
	t.strikes++
	return d
}

// calm forgets earlier "slow down" answers once the host answers normally.
func (t *Transport) calm() {
	t.mu.Lock()
	t.strikes = 0
	t.mu.Unlock()
}

// blocked fails while the host has said its limit is spent.
func (t *Transport) blocked(req *http.Request) error {
	t.mu.Lock()
	until := t.blockedUntil
	t.mu.Unlock()
	if wait := until.Sub(t.now()); wait > 0 {
		t.observeWait(req, "host_limit", wait)
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
