package postgres

import (
	"context"
	"io/fs"
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
