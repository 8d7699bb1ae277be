package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/internal/store/storetest"
)

// dsnEnv names the database the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const dsnEnv = "FERRY_TEST_POSTGRES_DSN"

func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip("FERRY_TEST_POSTGRES_DSN not set: skipping PostgreSQL store tests")
	}
	return dsn
}

// freshSchema creates an empty schema, dropped when t ends, and returns dsn
// with its search_path set to it.
func freshSchema(t *testing.T, dsn string) string {
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

// opener returns the suite's open function: one schema per test.
func opener(dsn string) func(t *testing.T) storetest.Store {
	var mu sync.Mutex
	dsns := map[*testing.T]string{}
	return func(t *testing.T) storetest.Store {
		t.Helper()
		mu.Lock()
		d, ok := dsns[t]
		if !ok {
			d = freshSchema(t, dsn)
			dsns[t] = d
		}
		mu.Unlock()
		s, err := postgres.Open(context.Background(), d)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, opener(testDSN(t)))
}
