package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// sqlConn is a database/sql transaction as a Conn, for testing Group on a
// real SQLite file without a driver package.
type sqlConn struct{ tx *sql.Tx }

func (c sqlConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := c.tx.QueryContext(ctx, q, args...)
	return sqlRows{rows}, err
}

func (c sqlConn) QueryRow(ctx context.Context, q string, args ...any) Row {
	return c.tx.QueryRowContext(ctx, q, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// openGroupDB returns a WAL SQLite database with a table t(k UNIQUE) and a
// WriteFunc counting its transactions.
func openGroupDB(t *testing.T) (*sql.DB, WriteFunc, *atomic.Int32) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "g.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (k TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	var txs atomic.Int32
	write := func(ctx context.Context, fn func(tx Conn) error) error {
		txs.Add(1)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(sqlConn{tx}); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	return db, write, &txs
}

func insert(k string) func(tx Conn) error {
	return func(tx Conn) error {
		_, err := tx.Exec(context.Background(), "INSERT INTO t (k) VALUES (?)", k)
		return err
	}
}

func TestGroupCommitsQueuedWritesInOneTransaction(t *testing.T) {
	t.Parallel()
	db, write, txs := openGroupDB(t)
	g := NewGroup(write)
	ctx := context.Background()
	if err := g.Write(ctx, insert("taken")); err != nil {
		t.Fatal(err)
	}

	// The first write holds the writer until the others have queued behind
	// it, so they must go out together in the next transaction.
	release := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- g.Write(ctx, func(tx Conn) error {
			<-release
			return insert("first")(tx)
		})
	}()
	for txs.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Sprint("k", i)
			if i == 5 {
				k = "taken" // fails alone: a unique violation
			}
			errs[i] = g.Write(ctx, insert(k))
		}()
	}
	for {
		g.mu.Lock()
		queued := len(g.queue)
		g.mu.Unlock()
		if queued == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if err := <-firstDone; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if got := txs.Load(); got != 3 {
		t.Errorf("transactions = %d, want 3 (taken, first, then all %d queued together)", got, n)
	}
	for i, err := range errs {
		if (err != nil) != (i == 5) {
			t.Errorf("write %d: err = %v", i, err)
		}
	}
	var rows int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2+n-1 {
		t.Errorf("rows = %d, want %d: every write but the failed one", rows, 2+n-1)
	}
}

func TestGroupRunsWritesAloneWhenTheGroupFails(t *testing.T) {
	t.Parallel()
	db, write, _ := openGroupDB(t)
	var calls atomic.Int32
	failFirstGroup := func(ctx context.Context, fn func(tx Conn) error) error {
		if calls.Add(1) == 2 { // the group transaction: it runs, then its commit fails
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			_ = fn(sqlConn{tx})
			tx.Rollback()
			return errors.New("commit failed")
		}
		return write(ctx, fn)
	}
	g := NewGroup(failFirstGroup)
	ctx := context.Background()
	release := make(chan struct{})
	go func() {
		_ = g.Write(ctx, func(tx Conn) error { <-release; return insert("first")(tx) })
	}()
	for calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = g.Write(ctx, insert(fmt.Sprint("a", i))) }()
	}
	for {
		g.mu.Lock()
		queued := len(g.queue)
		g.mu.Unlock()
		if queued == len(errs) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: err = %v; want it committed alone after its group failed", i, err)
		}
	}
	var rows int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1+len(errs) {
		t.Errorf("rows = %d, want %d", rows, 1+len(errs))
	}
}
