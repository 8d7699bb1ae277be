package ferrytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresDSNEnv names the variable holding the PostgreSQL test server's DSN.
const PostgresDSNEnv = "FERRY_TEST_POSTGRES_DSN"

// PostgresDSN returns the test server's DSN from FERRY_TEST_POSTGRES_DSN.
// Without it the test fails when CI=true (CI must never skip these tests)
// and is skipped otherwise, saying why either way.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set, and CI=true: this test needs PostgreSQL and CI must not skip it (.ci/run sets it)", PostgresDSNEnv)
	}
	tb.Skipf("%s is not set: skipping this test, which needs PostgreSQL (e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresDSNEnv, PostgresDSNEnv)
	return ""
}

// FreshDatabase creates an empty database ferry_<prefix>_<random> on the
// server of dsn, dropped when the test ends, and returns a DSN naming it.
func FreshDatabase(tb testing.TB, dsn, prefix string) string {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := "ferry_" + prefix + "_" + hex.EncodeToString(b)
	admin(tb, dsn, "CREATE DATABASE "+db)
	tb.Cleanup(func() { DropDatabase(tb, dsn, db) })
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		tb.Fatalf("%s must be a postgres:// URL", PostgresDSNEnv)
	}
	u.Path = "/" + db
	return u.String()
}

// DropDatabase drops database db on the server of dsn, if it exists,
// closing the connections still open to it.
func DropDatabase(tb testing.TB, dsn, db string) {
	tb.Helper()
	admin(tb, dsn, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
}

// DatabaseName returns the database a postgres:// DSN names.
func DatabaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

func admin(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", PostgresDSNEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", strings.Fields(sql)[0]+" "+strings.Fields(sql)[1], err)
	}
}

// UsePostgres appends a store section naming dsn to the server config at
// cfg (as written by Config).
func UsePostgres(tb testing.TB, cfg, dsn string) {
	tb.Helper()
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "store:\n  driver: postgres\n  dsn: %q\n", dsn); err != nil {
		tb.Fatal(err)
	}
}

// RecreateDatabase drops database db on the server of dsn and creates it
// again, empty: a lost database, as far as Ferry can tell.
func RecreateDatabase(tb testing.TB, dsn, db string) {
	tb.Helper()
	DropDatabase(tb, dsn, db)
	admin(tb, dsn, "CREATE DATABASE "+db)
}

// Pid returns the process id of the running server, or 0. (Ferry's lease
// owner names carry it: "<host>-<pid>-<n>".)
func (f *Ferry) Pid() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cmd == nil || f.cmd.Process == nil {
		return 0
	}
	return f.cmd.Process.Pid
}

// LeasesHeld counts the promotions that the server with process id pid has
// leased and not yet handed back, in the PostgreSQL database at dsn.
func LeasesHeld(ctx context.Context, dsn string, pid int) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM promotions WHERE lease_owner LIKE $1 AND lease_until > now()`,
		fmt.Sprintf("%%-%d-%%", pid)).Scan(&n)
	return n, err
}
