package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// releaseCreator is the intake's write: a release and its first promotion,
// durable (committed and fsynced) before it returns.
type releaseCreator interface {
	CreateRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (promotion.Release, bool, error)
	Close() error
}

// runIntake is the intake scenario: accepted reports per second at the
// store, the write a build report waits for before its 202, from
// intakeClients concurrent callers (group-committed) against the same
// reports written one transaction at a time by one caller (what each
// report cost before group commit). On SQLite, and on PostgreSQL when
// FERRY_TEST_POSTGRES_DSN is set. The registry check and HTTP in front of
// it are measured by the frontdoor scenario.
func runIntake(ctx context.Context, e *env) []result {
	out := []result{intake(ctx, e, "intake-sqlite", func(ctx context.Context) (releaseCreator, func(), error) {
		dir, err := e.dir("intake-sqlite")
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(ctx, filepath.Join(dir, "ferry.db"))
		return s, func() {}, err
	})}
	if dsn := os.Getenv("FERRY_TEST_POSTGRES_DSN"); dsn != "" {
		out = append(out, intake(ctx, e, "intake-postgres", func(ctx context.Context) (releaseCreator, func(), error) {
			schemaDSN, drop, err := freshSchema(ctx, dsn)
			if err != nil {
				return nil, nil, err
			}
			s, err := postgres.Open(ctx, schemaDSN)
			if err != nil {
				drop()
				return nil, nil, err
			}
			return s, drop, nil
		}))
	}
	return out
}

func intake(ctx context.Context, e *env, name string, open func(context.Context) (releaseCreator, func(), error)) result {
	rate := func(clients, n int, prefix string) (float64, error) {
		s, drop, err := open(ctx)
		if err != nil {
			return 0, err
		}
		defer drop()
		defer s.Close()
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		t0 := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1))
					if i > n || ctx.Err() != nil {
						return
					}
					r, ps := intakeRelease(prefix, i)
					if _, created, err := s.CreateRelease(ctx, r, ps); err != nil || !created {
						errs <- fmt.Errorf("report %d: created %v, %v", i, created, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return 0, err
		}
		return float64(n) / time.Since(t0).Seconds(), nil
	}
	n := e.sc.intakeReports
	// Sequential first and grouped second, then the same again: the two
	// are measured side by side, under the same load.
	var seq, grp []float64
	for range 2 {
		s, err := rate(1, n/4, "seq")
		if err != nil {
			return result{scenario: name, err: err}
		}
		g, err := rate(e.sc.intakeClients, n, "grp")
		if err != nil {
			return result{scenario: name, err: err}
		}
		seq, grp = append(seq, s), append(grp, g)
	}
	best := func(v []float64) float64 { return max(v[0], v[1]) }
	logf("%s: grouped %v reports/s, one transaction each %v reports/s", name, grp, seq)
	return result{
		scenario:    name,
		ferry:       figure{best(grp), "/s"},
		baseline:    &figure{best(seq), "/s"},
		ferryDetail: fmt.Sprintf("%d reports from %d callers, group commit, best of 2", n, e.sc.intakeClients),
		baseDetail:  fmt.Sprintf("%d reports, one transaction each, best of 2", n/4),
		target:      met(best(grp) >= 3000, fmt.Sprintf("%.0f reports/s ≥ 3,000", best(grp))),
	}
}

// intakeRelease is report i: a release of one of 200 applications and its
// promotion into dev.
func intakeRelease(prefix string, i int) (promotion.Release, []promotion.Promotion) {
	now := time.Now().UTC()
	app := fmt.Sprintf("app%03d", i%200)
	r := promotion.Release{
		ID: fmt.Sprintf("rel-%s-%07d", prefix, i), Application: app, Repository: "registry.example.com/acme/" + app,
		Tag: fmt.Sprintf("%s-%d", prefix, i), Digest: fmt.Sprintf("sha256:%064x", i), ReportedBy: "bench", CreatedAt: now,
	}
	return r, []promotion.Promotion{{
		ID: fmt.Sprintf("prm-%s-%07d", prefix, i), ReleaseID: r.ID, Application: app, Environment: "dev",
		State: promotion.StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}}
}
