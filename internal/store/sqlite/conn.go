package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

// dialect is SQLite's: "?" placeholders, integer microseconds, JSON lists,
// no row locks (the writer's transactions BEGIN IMMEDIATE), and planner
// hints, since SQLite keeps no statistics.
var dialect = store.Dialect{MicroTimes: true, JSONLists: true, PlannerHints: true}

// sqlDB is a *sql.DB or a *sql.Tx.
type sqlDB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn is a *sql.DB or a *sql.Tx as a store.Conn: every error classified.
type conn struct{ db sqlDB }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, classify(err)
	}
	n, err := res.RowsAffected()
	return n, classify(err)
}

func (c conn) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	return classifiedRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) store.Row {
	return classifiedRow{c.db.QueryRowContext(ctx, q, args...)}
}

type classifiedRow struct{ row *sql.Row }

func (r classifiedRow) Scan(dest ...any) error { return classify(r.row.Scan(dest...)) }

type classifiedRows struct{ rows *sql.Rows }

func (r classifiedRows) Next() bool             { return r.rows.Next() }
func (r classifiedRows) Scan(dest ...any) error { return classify(r.rows.Scan(dest...)) }
func (r classifiedRows) Err() error             { return classify(r.rows.Err()) }
func (r classifiedRows) Close()                 { r.rows.Close() }

// classify returns err as the domain error it is, wrapping the driver's
// error for the logs: no row is derrors.ErrNotFound; a unique or primary
// key violation derrors.ErrConflict; a foreign key violation (a row naming
// one that does not exist) derrors.ErrNotFound; a database locked by
// another process past the busy timeout, closed, or too slow for ctx,
// store.Unavailable. Others, and errors already classified, are returned
// as they are.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := derrors.As(err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return derrors.ErrNotFound
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", derrors.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", derrors.ErrNotFound, err)
		}
		// The primary code: SQLITE_BUSY_SNAPSHOT is busy too.
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return store.Unavailable(err)
		}
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) ||
		// database/sql does not export the error of a closed *sql.DB.
		strings.Contains(err.Error(), "sql: database is closed") {
		return store.Unavailable(err)
	}
	return err
}
