package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
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

// TestDoraBackfill writes a DORA history with the schema before migration
// 0015, then checks, as storetest.CheckDoraBackfill says, that opening the
// store backfilled what the DORA query reads.
func TestDoraBackfill(t *testing.T) {
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
	before := slices.IndexFunc(ms, func(m store.Migration) bool { return m.Version >= 15 })
	if before < 0 {
		t.Fatal("no migration 0015")
	}
	if err := applyAll(ctx, db, ms[:before]); err != nil {
		t.Fatalf("applying the migrations before 0015: %v", err)
	}
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) int64 { return micros(base.Add(time.Duration(n) * time.Second)) }
	zero := micros(time.Time{})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO releases (id, application, repository, tag, digest, created_at, source_committed_at, fixes)
		  VALUES ('rel-d1', 'payments', 'registry.example.com/payments', 'v1', 'sha256:1', ?, ?, '')`, []any{sec(900), sec(800)}},
		{`INSERT INTO releases (id, application, repository, tag, digest, created_at, source_committed_at, fixes)
		  VALUES ('rel-d2', 'payments', 'registry.example.com/payments', 'v2', 'sha256:2', ?, ?, 'rel-d1')`, []any{sec(1100), zero}},
		{`INSERT INTO promotions (id, release_id, application, environment, state, next_attempt_at, lease_until, created_at, updated_at)
		  VALUES ('prm-d1', 'rel-d1', 'payments', 'prod', 'merged', ?, ?, ?, ?)`, []any{sec(950), zero, sec(950), sec(1000)}},
		{`INSERT INTO promotions (id, release_id, application, environment, state, next_attempt_at, lease_until, created_at, updated_at)
		  VALUES ('prm-d2', 'rel-d2', 'payments', 'prod', 'committed', ?, ?, ?, ?)`, []any{sec(1450), zero, sec(1450), sec(1500)}},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
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
	storetest.CheckDoraBackfill(t, s, base)
}
