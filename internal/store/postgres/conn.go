package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

// dialect is PostgreSQL's: $n placeholders, timestamptz, text[] lists and
// row locks.
var dialect = store.Dialect{Numbered: true, RowLocks: true, KeyLocks: true}

// pgxDB is a pool, a connection or a transaction.
type pgxDB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn is a pool or a transaction as a store.Conn: every error classified.
type conn struct{ db pgxDB }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.db.Exec(ctx, q, args...)
	return tag.RowsAffected(), classify(err)
}

func (c conn) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	rows, err := c.db.Query(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	return classifiedRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) store.Row {
	return classifiedRow{c.db.QueryRow(ctx, q, args...)}
}

type classifiedRow struct{ row pgx.Row }

func (r classifiedRow) Scan(dest ...any) error { return classify(r.row.Scan(dest...)) }

type classifiedRows struct{ rows pgx.Rows }

func (r classifiedRows) Next() bool             { return r.rows.Next() }
func (r classifiedRows) Scan(dest ...any) error { return classify(r.rows.Scan(dest...)) }
func (r classifiedRows) Err() error             { return classify(r.rows.Err()) }
func (r classifiedRows) Close()                 { r.rows.Close() }

// pool is the connection pool; its Exec classifies its error, for the
// statements that run on the pool outside the shared SQL.
type pool struct{ *pgxpool.Pool }

func (p pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, classify(err)
}

// SQLSTATEs the store maps to domain errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	// Classes of a server that cannot serve now: connection exception
	// (08), insufficient resources (53, e.g. too many connections) and
	// operator intervention (57, e.g. shutting down; but 57014, a query
	// cancelled, is the caller's doing).
	classConnection = "08"
	classResources  = "53"
	classOperator   = "57"
	queryCanceled   = "57014"
)

// classify returns err as the domain error it is, wrapping the driver's
// error for the logs: no row is derrors.ErrNotFound; a unique violation
// derrors.ErrConflict; a foreign key violation (a row naming one that does
// not exist) derrors.ErrNotFound; a server that refuses or drops
// connections, is shutting down or out of connections, a closed pool, or a
// statement that timed out, store.Unavailable. Others, and errors already
// classified, are returned as they are.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := derrors.As(err); ok {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return derrors.ErrNotFound
	}
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch {
		case e.Code == uniqueViolation:
			return fmt.Errorf("%w: %w", derrors.ErrConflict, err)
		case e.Code == foreignKeyViolation:
			return fmt.Errorf("%w: %w", derrors.ErrNotFound, err)
		case e.Code == queryCanceled:
			return err
		case len(e.Code) == 5 && (e.Code[:2] == classConnection || e.Code[:2] == classResources || e.Code[:2] == classOperator):
			return store.Unavailable(err)
		}
		return err
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr), pgconn.Timeout(err),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, puddle.ErrClosedPool),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return store.Unavailable(err)
	}
	return err
}
