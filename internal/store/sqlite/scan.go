package sqlite

import (
	"time"
)

// zeroMicros is how the zero time.Time is stored.
var zeroMicros = time.Time{}.UnixMicro()

// micros returns t as stored: microseconds since the Unix epoch (UTC).
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros; it returns times in UTC.
func fromMicros(n int64) time.Time {
	if n == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// notFound is classify, by the name idempotency.go calls it: no row is
// derrors.ErrNotFound.
func notFound(err error) error { return classify(err) }
