package server

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/ferryhq/ferry/internal/derrors"
)

// limiters holds one token bucket per caller: "token:<name>",
// "hook:<sender>" or "ip:<address>" for requests that are not authenticated.
type limiters struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets is when idle buckets start to be dropped, so that a flood from
// many addresses cannot grow the map without bound.
const maxBuckets = 10000

func newLimiters(perMinute, burst int) *limiters {
	return &limiters{every: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[string]*bucket{}}
}

// reserve takes one request from key's bucket. It returns 0 if the request
// may go ahead, or how long until it could.
func (l *limiters) reserve(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request takes nothing from the bucket
		return d
	}
	return 0
}

// prune drops buckets that have refilled completely: forgetting them
// changes nothing for their callers.
func (l *limiters) prune(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.every) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}

// allow charges the request to key's bucket. Over the limit it records a
// 429 rate_limited problem with Retry-After, aborts, and returns false.
func (s *Server) allow(c *gin.Context, key string) bool {
	d := s.limits.reserve(key, s.now())
	if d == 0 {
		return true
	}
	e := derrors.New(derrors.RateLimited, "rate_limited", "too many requests; try again in %s", d.Round(time.Second)+time.Second)
	e.RetryAfter = d
	_ = c.Error(e)
	c.Abort()
	return false
}

// limitAnonymous charges a request that carries no valid credential to its
// client address. gin's RemoteIP is the peer address: headers such as
// X-Forwarded-For are not trusted, so a caller cannot pick its own bucket.
func (s *Server) limitAnonymous(c *gin.Context) {
	s.allow(c, "ip:"+c.RemoteIP())
}
