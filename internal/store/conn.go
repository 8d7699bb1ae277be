package store

import (
	"context"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Conn is a driver's pool, connection or transaction as the shared queries
// use it. A driver's Conn gives every error classified, once, for all
// callers: no row is derrors.ErrNotFound, a unique violation
// derrors.ErrConflict, a foreign key violation derrors.ErrNotFound, and a
// database that is down, closed or too slow to answer a derrors.Unavailable
// error with code "store_unavailable" (see Unavailable), each wrapping the
// driver's error for the logs.
type Conn interface {
	// Exec runs q and returns how many rows it changed.
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	Query(ctx context.Context, q string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) Row
}

// Row is one row of a result, or the error that kept it from being read.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result read row by row.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// WriteFunc runs fn in a transaction on a driver's writer and commits it if
// fn returns nil.
type WriteFunc func(ctx context.Context, fn func(tx Conn) error) error

// List runs q on db and scans its rows with scan.
func List[T any](ctx context.Context, db Conn, q string, args []any, scan func(Row) (T, error)) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return items, rows.Err()
}

// Unavailable returns err, a driver's error saying that the database cannot
// answer now (refusing connections, closed, locked, too slow), as a
// derrors.Unavailable error with code "store_unavailable": the server
// answers 503 with Retry-After, and clients such as ferry notify retry.
func Unavailable(err error) error {
	return derrors.Wrap(err, derrors.Unavailable, "store_unavailable", "the store is unavailable; try again")
}
