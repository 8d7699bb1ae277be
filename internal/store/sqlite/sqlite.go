// Package sqlite is Ferry's default store: promotion.Store and the extras of
// internal/store on one SQLite file, through the pure-Go modernc.org/sqlite
// driver (no cgo).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/ferryhq/ferry/internal/store"
)

// busyTimeout is how long a connection waits for a lock another process
// (e.g. "ferry reindex" beside "ferry serve") holds, before SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is a SQLite store. It is safe for concurrent use.
//
// SQLite allows one writer at a time, so every write goes through w, a pool
// of exactly one connection whose transactions BEGIN IMMEDIATE: writers queue
// in Go instead of failing with SQLITE_BUSY, and a read-then-write
// transaction never has to upgrade its lock. Reads go through r, a pool of
// query-only connections that, in WAL mode, neither block the writer nor
// wait for it.
type Store struct {
	*store.SQL
	w, r *sql.DB

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it and its directory if needed) the SQLite database
// at path and applies the pending migrations.
//
// Every connection runs with journal_mode=WAL, synchronous=FULL (a commit is
// on disk before it returns, so a build answered 2xx survives a power loss,
// which NORMAL does not promise in WAL mode), foreign_keys=ON and a busy
// timeout.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("opening SQLite store: invalid path %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating directory of SQLite store %q: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("opening SQLite store %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening SQLite store %q: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)

	s := &Store{w: w, r: r}
	s.SQL = store.NewSQL(dialect, conn{r}, s.writeConn)
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening SQLite store %q: %w", path, err)
	}
	return s, nil
}

// init checks the pragmas took effect and migrates the schema. It runs on
// the writer before any reader connects, so the file exists and is in WAL
// mode when they do.
func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("reading journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	var sync int
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("reading synchronous: %w", err)
	}
	if sync < 2 { // 2 is FULL
		return fmt.Errorf("synchronous is %d, want FULL (2)", sync)
	}
	return migrate(ctx, s.w)
}

// dsn returns the driver's data source name for path: the writer's or a
// reader's.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if writer {
		// journal_mode is a property of the file; setting it on the writer,
		// which connects first, is enough.
		q.Add("_pragma", "journal_mode(WAL)")
		// Group commits run each write in a savepoint (store.Group); a
		// savepoint saves the pages it changes in a sub-journal, by default
		// a temporary file written with one pwrite per page. Kept in memory
		// it costs no system call. Durability is the WAL's and unchanged: a
		// sub-journal only serves rolling back within a transaction.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging SQLite store: %w", classify(err))
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pinging SQLite store: %w", classify(err))
	}
	return nil
}

// Close closes the database. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// write runs fn in a transaction on the writer connection and commits it if
// fn returns nil. Its error is classified (see classify).
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return classify(fmt.Errorf("beginning transaction: %w", err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return classify(fmt.Errorf("committing transaction: %w", err))
	}
	return nil
}

// writeConn is write for the shared SQL.
func (s *Store) writeConn(ctx context.Context, fn func(tx store.Conn) error) error {
	return s.write(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
}
