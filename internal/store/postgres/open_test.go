package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// dsnEnv names the database the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const dsnEnv = "FERRY_TEST_POSTGRES_DSN"

// DSNOrSkip returns the test database's DSN, or skips t when none is set;
// with CI=true it fails t instead: CI must never skip these tests.
// (Exported for the external test package.)
func DSNOrSkip(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" && os.Getenv("CI") == "true" {
		t.Fatal("FERRY_TEST_POSTGRES_DSN not set, and CI=true: the PostgreSQL store tests must not be skipped in CI")
	}
	if dsn == "" {
		t.Skip("FERRY_TEST_POSTGRES_DSN not set: skipping PostgreSQL store tests")
	}
	return dsn
}

// FreshSchema creates an empty schema, dropped when t ends, and returns dsn
// with its search_path set to it.
func FreshSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "ferry_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dsnEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connecting to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parsing %s as a URL: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	return u.String()
}

// openTest opens a store on a fresh schema of the test database, or skips.
func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), FreshSchema(t, DSNOrSkip(t)))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
