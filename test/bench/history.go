package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/store/postgres"
)

// runHistory is scenario 4: historyRows promotions in the store, p99 of
// filtered, paginated GET /api/v1/promotions through the real server; on
// SQLite, and on PostgreSQL when FERRY_TEST_POSTGRES_DSN is set.
func runHistory(ctx context.Context, e *env) []result {
	out := []result{historySQLite(ctx, e)}
	if dsn := os.Getenv("FERRY_TEST_POSTGRES_DSN"); dsn != "" {
		out = append(out, historyPostgres(ctx, e, dsn))
	}
	return out
}

func historySQLite(ctx context.Context, e *env) result {
	const name = "history-sqlite"
	dir, err := e.dir(name)
	if err != nil {
		return result{scenario: name, err: err}
	}
	t0 := time.Now()
	if err := loadSQLite(ctx, filepath.Join(dir, "data", "ferry.db"), e.sc.historyRows); err != nil {
		return result{scenario: name, err: fmt.Errorf("loading SQLite: %w", err)}
	}
	load := time.Since(t0)
	logf("history: %d promotions loaded into SQLite in %s", e.sc.historyRows, load.Round(time.Millisecond))
	return historyQueries(ctx, e, name, dir, "", load)
}

func historyPostgres(ctx context.Context, e *env, dsn string) result {
	const name = "history-postgres"
	dir, err := e.dir(name)
	if err != nil {
		return result{scenario: name, err: err}
	}
	schemaDSN, drop, err := freshSchema(ctx, dsn)
	if err != nil {
		return result{scenario: name, err: err}
	}
	defer drop()
	s, err := postgres.Open(ctx, schemaDSN)
	if err != nil {
		return result{scenario: name, err: err}
	}
	s.Close()
	t0 := time.Now()
	if err := loadPostgres(ctx, schemaDSN, e.sc.historyRows); err != nil {
		return result{scenario: name, err: fmt.Errorf("loading PostgreSQL: %w", err)}
	}
	load := time.Since(t0)
	logf("history: %d promotions loaded into PostgreSQL in %s", e.sc.historyRows, load.Round(time.Millisecond))
	store := fmt.Sprintf("store:\n  driver: postgres\n  dsn: %q\n", schemaDSN)
	return historyQueries(ctx, e, name, dir, store, load)
}

// freshSchema creates a schema for one run and returns a DSN using it and
// a function dropping it.
func freshSchema(ctx context.Context, dsn string) (string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ferry_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to FERRY_TEST_POSTGRES_DSN: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("creating schema: %w", err)
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			logf("history: dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			logf("history: dropping schema %s: %v", schema, err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("FERRY_TEST_POSTGRES_DSN is not a URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// historyQueries starts ferry on the loaded store and times a mix of
// filtered queries, each followed through up to five pages by cursor.
func historyQueries(ctx context.Context, e *env, name, dir, store string, load time.Duration) result {
	bare, err := genRepo(ctx, dir, e.reg, repoSpec{apps: 10, files: 20, commits: 1})
	if err != nil {
		return result{scenario: name, err: err}
	}
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: bare, batchWindow: time.Second, store: store})
	if err != nil {
		return result{scenario: name, err: err}
	}
	defer f.stop()
	releases := e.sc.historyRows / len(histEnvs)
	filters := []func(i int) string{
		func(i int) string { return "application=" + appName(i%histApps) },
		func(i int) string {
			return "application=" + appName(i%histApps) + "&environment=" + histEnvs[i%len(histEnvs)]
		},
		func(i int) string { return "environment=prod&state=failed" },
		func(i int) string {
			return "application=" + appName(i%histApps) + "&environment=" + histEnvs[i%len(histEnvs)] + "&state=superseded"
		},
		func(i int) string { return "state=failed" },
		func(i int) string { return "" },
		func(i int) string { return "release=" + histRel((i*7919)%releases).id },
	}
	var lat latencies
	items := 0
	for i := 0; len(lat) < e.sc.historyQueries; i++ {
		q := filters[i%len(filters)](i)
		cursor := ""
		for page := 0; page < 5 && len(lat) < e.sc.historyQueries; page++ {
			u := q + "&limit=50"
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			t0 := time.Now()
			res, err := f.promotions(ctx, u)
			d := time.Since(t0)
			if err != nil {
				return result{scenario: name, err: err}
			}
			lat = append(lat, d)
			items += len(res.Items)
			if res.NextCursor == "" {
				break
			}
			cursor = res.NextCursor
		}
	}
	if items == 0 {
		return result{scenario: name, err: fmt.Errorf("no query found a promotion")}
	}
	p99 := lat.pct(99)
	return result{
		scenario: name, lowerIsBetter: true, ferry: figure{ms(p99), "ms"}, rssMB: f.peakRSSMB(),
		ferryDetail: fmt.Sprintf("p99 of %d GET /api/v1/promotions (7 filter mixes, up to 5 pages of 50 by cursor, %d items) over %d rows (loaded in %.0f s): %s",
			len(lat), items, e.sc.historyRows, load.Seconds(), lat.summary()),
		target: met(p99 < 20*time.Millisecond, fmt.Sprintf("p99 %.1f ms < 20 ms", ms(p99))),
	}
}
