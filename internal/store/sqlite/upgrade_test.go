package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/storetest"
)

// TestUpgradeFrom0001 opens a database that the first schema wrote, then
// checks it as storetest.CheckUpgradeFrom0001 says.
func TestUpgradeFrom0001(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ferry.db")
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations(sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyAll(ctx, db, ms[:1]); err != nil {
		t.Fatalf("applying %s: %v", ms[0].Name, err)
	}
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO releases (id, application, repository, tag, digest, created_at)
		 VALUES ('rel-1', 'payments', 'registry.example.com/payments', 'v1', 'sha256:1', ?1)`,
		`INSERT INTO promotions (id, release_id, application, environment, state, reason, next_attempt_at, lease_until, created_at, updated_at)
		 VALUES ('prm-1', 'rel-1', 'payments', 'prod', 'waiting', 'soak time', ?1, ?2, ?1, ?1)`,
	} {
		if _, err := db.ExecContext(ctx, q, micros(created), micros(time.Time{})); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer s.Close()
	storetest.CheckUpgradeFrom0001(t, s, created)
}
