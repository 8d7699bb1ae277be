package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/store/postgres"
)

// runDora is the DORA scenario: the history scenario's promotions
// (historyRows of them: 1M at full scale, with their DORA marks: see
// histRel), then p99 of GET
// /api/v1/metrics/dora for one application through the real server, over
// a mix of windows and with or without an environment; on SQLite, and on
// PostgreSQL when FERRY_TEST_POSTGRES_DSN is set. It prints
//
//	dora: apps=<n> windows=<n> p99_ms=<n> store=<driver>
func runDora(ctx context.Context, e *env) []result {
	out := []result{doraSQLite(ctx, e)}
	if dsn := os.Getenv("FERRY_TEST_POSTGRES_DSN"); dsn != "" {
		out = append(out, doraPostgres(ctx, e, dsn))
	}
	return out
}

func doraSQLite(ctx context.Context, e *env) result {
	const name = "dora-sqlite"
	dir, err := e.dir(name)
	if err != nil {
		return result{scenario: name, err: err}
	}
	t0 := time.Now()
	path := filepath.Join(dir, "data", "ferry.db")
	if err := loadSQLite(ctx, path, e.sc.historyRows); err != nil {
		return result{scenario: name, err: fmt.Errorf("loading SQLite: %w", err)}
	}
	load := time.Since(t0)
	logf("dora: %d promotions loaded into SQLite in %s", e.sc.historyRows, load.Round(time.Millisecond))
	return doraQueries(ctx, e, name, "sqlite", dir, "", load)
}

func doraPostgres(ctx context.Context, e *env, dsn string) result {
	const name = "dora-postgres"
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
	// Autovacuum visits a table after this many inserts anyway; the
	// index-only read of the DORA query needs its visibility map.
	conn, err := pgx.Connect(ctx, schemaDSN)
	if err != nil {
		return result{scenario: name, err: err}
	}
	_, err = conn.Exec(ctx, `VACUUM ANALYZE promotions`)
	conn.Close(ctx)
	if err != nil {
		return result{scenario: name, err: fmt.Errorf("vacuuming: %w", err)}
	}
	load := time.Since(t0)
	logf("dora: %d promotions loaded into PostgreSQL in %s", e.sc.historyRows, load.Round(time.Millisecond))
	store := fmt.Sprintf("store:\n  driver: postgres\n  dsn: %q\n", schemaDSN)
	return doraQueries(ctx, e, name, "postgres", dir, store, load)
}

// doraWindows are the windows asked about, as offsets from the start of
// the history and lengths: the whole history in weeks, each of its first
// weeks in days, and single days.
var doraWindows = []struct {
	offset, length time.Duration
	bucket         string
}{
	{0, 30 * 24 * time.Hour, "7d"},
	{0, 7 * 24 * time.Hour, "1d"},
	{7 * 24 * time.Hour, 7 * 24 * time.Hour, "1d"},
	{14 * 24 * time.Hour, 7 * 24 * time.Hour, "1d"},
	{3 * 24 * time.Hour, 24 * time.Hour, "1h"},
	{10 * 24 * time.Hour, 24 * time.Hour, "1h"},
}

// doraQueries starts ferry on the loaded store and times doraQueries GET
// /api/v1/metrics/dora, one application each, cycling through the
// windows, every third one narrowed to one environment.
func doraQueries(ctx context.Context, e *env, name, driver, dir, store string, load time.Duration) result {
	bare, err := genRepo(ctx, dir, e.reg, repoSpec{apps: 10, files: 20, commits: 1})
	if err != nil {
		return result{scenario: name, err: err}
	}
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: bare, batchWindow: time.Second, store: store})
	if err != nil {
		return result{scenario: name, err: err}
	}
	defer f.stop()
	var lat latencies
	deployments, failures, fromCommit := 0, 0, 0
	for i := 0; i < e.sc.doraQueries; i++ {
		w := doraWindows[i%len(doraWindows)]
		from := histStart.Add(w.offset)
		q := url.Values{"application": {appName((i * 7) % histApps)}, "from": {from.Format(time.RFC3339)},
			"to": {from.Add(w.length).Format(time.RFC3339)}, "bucket": {w.bucket}}
		if i%3 == 2 {
			q.Set("environment", histEnvs[i%len(histEnvs)])
		}
		t0 := time.Now()
		status, body, err := f.do(ctx, http.MethodGet, f.url+"/api/v1/metrics/dora?"+q.Encode(), nil)
		d := time.Since(t0)
		if err != nil {
			return result{scenario: name, err: err}
		}
		if status != http.StatusOK {
			return result{scenario: name, err: fmt.Errorf("GET /api/v1/metrics/dora?%s: %d %s", q.Encode(), status, body)}
		}
		var rep api.DoraReport
		if err := json.Unmarshal(body, &rep); err != nil {
			return result{scenario: name, err: err}
		}
		lat = append(lat, d)
		deployments += rep.Overall.Deployments
		failures += rep.Overall.FailedChanges
		fromCommit += rep.Overall.LeadTimesFromSourceCommit
	}
	if deployments == 0 || failures == 0 || fromCommit == 0 {
		return result{scenario: name, err: fmt.Errorf("the queries found %d deployments, %d failed, %d with a source commit time; want some of each",
			deployments, failures, fromCommit)}
	}
	p99 := lat.pct(99)
	fmt.Printf("dora: apps=%d windows=%d p99_ms=%.1f store=%s\n", histApps, len(doraWindows), ms(p99), driver)
	return result{
		scenario: name, lowerIsBetter: true, ferry: figure{ms(p99), "ms"}, rssMB: f.peakRSSMB(),
		ferryDetail: fmt.Sprintf("p99 of %d GET /api/v1/metrics/dora (one application, %d windows, a third in one environment; %d deployments, %d failed) over %d promotions (loaded in %.0f s): %s",
			len(lat), len(doraWindows), deployments, failures, e.sc.historyRows, load.Seconds(), lat.summary()),
		target: met(p99 < 50*time.Millisecond, fmt.Sprintf("p99 %.1f ms < 50 ms", ms(p99))),
	}
}
