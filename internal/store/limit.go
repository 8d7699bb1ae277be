package store

import (
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Page sizes of list calls.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageLimit returns the page size a filter's Limit asks for: 0 means
// DefaultLimit; outside 1..MaxLimit it is a derrors.Invalid error with code
// "invalid_limit".
func PageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, derrors.New(derrors.Invalid, "invalid_limit", "limit %d is outside 1..%d", n, MaxLimit)
	}
	return n, nil
}

// Time returns t as stores keep it: in UTC, truncated to the microsecond,
// which both SQLite (integer micros) and PostgreSQL (timestamptz) hold
// exactly, so a value reads back equal to what was written.
func Time(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// PageArgs checks a filter's Limit and Cursor and returns the page size and
// the decoded cursor (nil for the first page).
func PageArgs(limit int, cursor string) (int, *Cursor, error) {
	n, err := PageLimit(limit)
	if err != nil {
		return 0, nil, err
	}
	if cursor == "" {
		return n, nil, nil
	}
	c, err := DecodeCursor(cursor)
	if err != nil {
		return 0, nil, err
	}
	return n, &c, nil
}

// CheckPromotionFilter refuses a filter on an unknown state (a typo would
// otherwise list nothing) with a derrors.Invalid error, code "invalid_state".
func CheckPromotionFilter(f promotion.PromotionFilter) error {
	if f.State != "" && !f.State.Valid() {
		return derrors.New(derrors.Invalid, "invalid_state", "unknown promotion state %q", f.State)
	}
	return nil
}
