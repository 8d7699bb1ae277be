// Package postgres is Ferry's store for several replicas: promotion.Store and
// the extras of internal/store on PostgreSQL, through pgx.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ferryhq/ferry/internal/store"
)

// Store is a PostgreSQL store. It is safe for concurrent use, and several
// processes may share one database: claims use FOR UPDATE SKIP LOCKED and
// migrations an advisory lock.
type Store struct {
	*store.SQL
	pool pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a libpq URL or key=value string;
// pgxpool options such as pool_max_conns apply) and applies the pending
// migrations. Tables live in the first schema of the connection's
// search_path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error may quote the DSN, password included: do not wrap it.
		return nil, fmt.Errorf("parsing PostgreSQL DSN: invalid connection string")
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", classify(err))
	}
	if err := migrate(ctx, p); err != nil {
		p.Close()
		return nil, fmt.Errorf("opening PostgreSQL store: %w", classify(err))
	}
	s := &Store{pool: pool{p}}
	s.SQL = store.NewSQL(dialect, conn{s.pool.Pool}, s.writeConn)
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pinging PostgreSQL store: %w", classify(err))
	}
	return nil
}

// Close closes the pool's connections. Calling it again does nothing.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// write runs fn in a transaction and commits it if fn returns nil. Its
// error is classified (see classify).
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return classify(pgx.BeginFunc(ctx, s.pool.Pool, fn))
}

// writeConn is write for the shared SQL.
func (s *Store) writeConn(ctx context.Context, fn func(tx store.Conn) error) error {
	return s.write(ctx, func(tx pgx.Tx) error { return fn(conn{tx}) })
}
