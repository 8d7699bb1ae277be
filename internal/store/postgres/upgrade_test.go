package postgres

import (
	"context"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/storetest"
)

// TestUpgradeFrom0001 opens a database that the first schema wrote, then
// checks it as storetest.CheckUpgradeFrom0001 says.
func TestUpgradeFrom0001(t *testing.T) {
	ctx := context.Background()
	dsn := FreshSchema(t, DSNOrSkip(t))
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations(sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyAll(ctx, pool, ms[:1]); err != nil {
		t.Fatalf("applying %s: %v", ms[0].Name, err)
	}
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO releases (id, application, repository, tag, digest, created_at)
		 VALUES ('rel-1', 'payments', 'registry.example.com/payments', 'v1', 'sha256:1', $1)`,
		`INSERT INTO promotions (id, release_id, application, environment, state, reason, next_attempt_at, lease_until, created_at, updated_at)
		 VALUES ('prm-1', 'rel-1', 'payments', 'prod', 'waiting', 'soak time', $1, '0001-01-01Z', $1, $1)`,
	} {
		if _, err := pool.Exec(ctx, q, created); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pool.Close()

	s, err := Open(ctx, dsn)
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
	dsn := FreshSchema(t, DSNOrSkip(t))
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := applyAll(ctx, pool, ms[:before]); err != nil {
		t.Fatalf("applying the migrations before 0015: %v", err)
	}
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO releases (id, application, repository, tag, digest, created_at, source_committed_at, fixes)
		  VALUES ('rel-d1', 'payments', 'registry.example.com/payments', 'v1', 'sha256:1', $1, $2, '')`, []any{sec(900), sec(800)}},
		{`INSERT INTO releases (id, application, repository, tag, digest, created_at, fixes)
		  VALUES ('rel-d2', 'payments', 'registry.example.com/payments', 'v2', 'sha256:2', $1, 'rel-d1')`, []any{sec(1100)}},
		{`INSERT INTO promotions (id, release_id, application, environment, state, next_attempt_at, lease_until, created_at, updated_at)
		  VALUES ('prm-d1', 'rel-d1', 'payments', 'prod', 'merged', $1, '0001-01-01Z', $1, $2)`, []any{sec(950), sec(1000)}},
		{`INSERT INTO promotions (id, release_id, application, environment, state, next_attempt_at, lease_until, created_at, updated_at)
		  VALUES ('prm-d2', 'rel-d2', 'payments', 'prod', 'committed', $1, '0001-01-01Z', $1, $2)`, []any{sec(1450), sec(1500)}},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	pool.Close()

	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer s.Close()
	storetest.CheckDoraBackfill(t, s, base)
}
