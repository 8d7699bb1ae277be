package postgres

import (
	"time"

	"github.com/ferryhq/ferry/internal/store"
)

// ts returns t as stored: UTC, microseconds.
func ts(t time.Time) time.Time { return store.Time(t) }

// fromTS returns a stored time in UTC; 0001-01-01 is the zero time.
func fromTS(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// notFound is classify, by the name idempotency.go calls it: no row is
// derrors.ErrNotFound.
func notFound(err error) error { return classify(err) }
