package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

// IdempotencyStore is what the server needs of a store to remember the
// requests and deliveries it has seen; both store drivers provide it.
type IdempotencyStore interface {
	PutIdempotency(ctx context.Context, rec store.IdemRecord) (existing store.IdemRecord, created bool, err error)
	RenewIdempotency(ctx context.Context, scope, key, owner string, until time.Time) error
	CompleteIdempotency(ctx context.Context, scope, key string, status int, body []byte) error
	DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int64, error)
}

// maxIdemAttempts bounds the records one key may chain through: each 5xx
// answer or abandoned request moves the key to a fresh record.
const maxIdemAttempts = 16

// outcome is what claim found for a key.
type outcome int

const (
	// claimed: this request holds a fresh record and does the work.
	claimed outcome = iota
	// answered: a final answer (2xx or 4xx) is stored; replay it.
	answered
	// inFlight: a live request holds the key; come back after RetryAfter.
	inFlight
	// reused: the key was first sent with another request.
	reused
	// exhausted: the key chained through maxIdemAttempts records.
	exhausted
)

// claim is the answer to "have we seen this id?", the one rule for an
// Idempotency-Key, a signed CI delivery's webhook-id and a Git host's
// delivery id.
type claim struct {
	outcome outcome
	// rec is the stored record (answered, inFlight), or the one this
	// request holds (claimed).
	rec store.IdemRecord
	// retryAfter is when an in-flight record's holder will have finished
	// or lost its lease.
	retryAfter time.Duration
}

// stored reports whether an answer is final enough to replay: 2xx and 4xx.
// A 5xx is not, so a retry after an outage does the work.
func stored(status int) bool { return status >= 200 && status < 500 }

// newOwner names this server process in the records it holds: host, pid
// and a random part, since a restarted container may reuse both.
func newOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b[:])
}

// claim looks up key in scope for a request whose body hashes to hash, and
// takes a fresh record when no one holds the key.
//
// The store offers only put-if-absent, renew and complete, so a key whose
// first answer was not stored (a 5xx) or whose holder is gone (its lease
// lapsed, e.g. after a crash) moves on to a fresh record "<key>\n<n>": the
// chain is walked on every request. Keys hold no control characters, so
// chained keys never collide with a caller's key.
func (s *Server) claim(ctx context.Context, scope, key, hash string) (claim, error) {
	now := s.now()
	for attempt := 0; attempt < maxIdemAttempts; attempt++ {
		k := key
		if attempt > 0 {
			k = key + "\n" + strconv.Itoa(attempt)
		}
		mine := store.IdemRecord{Scope: scope, Key: k, RequestHash: hash, CreatedAt: now,
			Owner: s.owner, LeaseUntil: now.Add(s.cfg.IdempotencyLease)}
		rec, created, err := s.idem.PutIdempotency(ctx, mine)
		if err != nil {
			return claim{}, derrors.Wrap(err, derrors.Unavailable, "store_unavailable", "the store did not answer; try again")
		}
		if created {
			return claim{outcome: claimed, rec: mine}, nil
		}
		if rec.RequestHash != hash {
			return claim{outcome: reused, rec: rec}, nil
		}
		expired := now.Sub(rec.CreatedAt) > s.cfg.IdempotencyTTL
		switch {
		case rec.Completed && stored(rec.Status) && !expired:
			return claim{outcome: answered, rec: rec}, nil
		case rec.Completed, expired:
			continue // not final, or forgotten: the next record
		}
		if wait := s.heldFor(rec, now); wait > 0 {
			return claim{outcome: inFlight, rec: rec, retryAfter: wait}, nil
		}
		// Its holder is gone: abandoned.
	}
	return claim{outcome: exhausted}, nil
}

// heldFor is how much longer an in-flight record stays held: until its
// lease lapses, or, for a record from before leases, until the longest
// request could have lasted. Zero means abandoned.
func (s *Server) heldFor(rec store.IdemRecord, now time.Time) time.Duration {
	until := rec.LeaseUntil
	if until.IsZero() {
		until = rec.CreatedAt.Add(s.cfg.MaxWait + time.Minute)
	}
	return until.Sub(now)
}

// hold keeps the lease of a claimed record alive while the work runs, and
// returns the function that stops it. Renewals run a few times per lease,
// so one slow store answer does not let the lease lapse under a live request.
func (s *Server) hold(ctx context.Context, c claim) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.IdempotencyLease / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(ctx, s.cfg.IdempotencyLease/2)
			err := s.idem.RenewIdempotency(rctx, c.rec.Scope, c.rec.Key, s.owner, s.now().Add(s.cfg.IdempotencyLease))
			rcancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("renewing an idempotency lease", zap.String("key", c.rec.Key), zap.Error(err))
			}
		}
	}()
	return func() { cancel(); <-done }
}

// finish records the answer of a claimed record. Even a 5xx is recorded
// (without its body): the chain then moves on. It runs on a fresh context:
// the caller may be gone, and the record must not stay in flight.
func (s *Server) finish(ctx context.Context, c claim, status int, body []byte) error {
	if !stored(status) {
		body = nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.idem.CompleteIdempotency(ctx, c.rec.Scope, c.rec.Key, status, body); err != nil {
		return fmt.Errorf("recording the answer for key %q: %w", c.rec.Key, err)
	}
	return nil
}
