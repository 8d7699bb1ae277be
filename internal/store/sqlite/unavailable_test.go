package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// TestLockedIsUnavailable holds the database's write lock from another
// connection, as another process (ferry reindex beside ferry serve) would:
// a write that cannot get the lock in time says the store is unavailable,
// a transient state, and not an internal error.
func TestLockedIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	for name, timeout := range map[string]time.Duration{
		"the caller's deadline first": 300 * time.Millisecond,
		"the busy timeout first":      busyTimeout + 5*time.Second,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		r := promotion.Release{ID: "rel-1", Application: "payments", Repository: "r.example.com/payments", Tag: "v1",
			Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
		_, _, err := s.CreateRelease(ctx, r, nil)
		cancel()
		if e, ok := derrors.As(err); !ok || e.Kind != derrors.Unavailable || e.Code != "store_unavailable" {
			t.Errorf("%s: CreateRelease() on a locked database = %v, want a derrors.Unavailable error with code store_unavailable", name, err)
		}
	}
}
