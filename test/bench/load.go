package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// history generates the rows of the history scenario: releases of
// histApps applications, each promoted into the five environments, in
// time order, mostly committed, some superseded or failed.
const histApps = 100

var histEnvs = []string{"dev", "qa", "stage", "prod", "dr"}

var histStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type histRelease struct {
	id, app, repo, tag, digest string
	at                         time.Time
	// DORA marks: two releases in three carry a source commit time (30
	// minutes before the report; zero for the others), one in fifty is a
	// fix-forward of its application's release before it.
	committed time.Time
	fixes     string
}

type histPromotion struct {
	id, release, app, env, state, reason, commit string
	at                                           time.Time
}

func histRel(i int) histRelease {
	app := appName(i % histApps)
	r := histRelease{
		id: fmt.Sprintf("rel_%09d", i), app: app, repo: "registry.example.com/acme/" + app,
		tag: fmt.Sprintf("1.%d.0", i), digest: fmt.Sprintf("sha256:%064x", i),
		at: histStart.Add(time.Duration(i) * 10 * time.Second),
	}
	if i%3 != 0 {
		r.committed = r.at.Add(-30 * time.Minute)
	}
	if i%50 == 49 {
		r.fixes = fmt.Sprintf("rel_%09d", i-histApps)
	}
	return r
}

func histProm(r histRelease, i, k int) histPromotion {
	p := histPromotion{
		id: fmt.Sprintf("prm_%09d_%d", i, k), release: r.id, app: r.app, env: histEnvs[k],
		at: r.at.Add(time.Duration(k) * time.Second), state: "committed", commit: fmt.Sprintf("%040x", i*5+k),
	}
	switch mix(i, k) % 20 {
	case 0:
		p.state, p.commit, p.reason = "failed", "", "envs/"+p.env+"/"+p.app+"/kustomization.yaml: line 9: images is not a list"
	case 1, 2, 3:
		p.state, p.commit, p.reason = "superseded", "", "superseded by a newer release"
	}
	return p
}

// histRestored is when the deployment p (of release i into environment
// k) was restored, as the store keeps promotions.restored_at (migration
// 0016): the time the application's next deployment into the environment
// reached it, when that one is a fix-forward naming p's release (the
// history has no rollbacks: releases come in report order); ok is false
// otherwise, and for a promotion that is not a deployment. n is how many
// releases the history has.
func histRestored(p histPromotion, i, k, n int) (at time.Time, ok bool) {
	if p.state != "committed" {
		return time.Time{}, false
	}
	for j := i + histApps; j < n; j += histApps {
		r := histRel(j)
		if q := histProm(r, j, k); q.state == "committed" {
			return q.at, r.fixes == p.release
		}
	}
	return time.Time{}, false
}

// mix spreads states over applications, environments and time.
func mix(i, k int) uint32 {
	h := uint32(i)*2654435761 ^ uint32(k+1)*40503
	h ^= h >> 15
	h *= 2246822519
	return h ^ h>>13
}

// loadSQLite creates the store at path and fills it with rows promotions.
// Indexes are dropped during the load and re-created after it, which is
// what a bulk load into SQLite should do; the store's own pragmas apply
// when ferry opens the file.
func loadSQLite(ctx context.Context, path string, rows int) error {
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	s.Close()
	db, err := sql.Open("sqlite", path+"?_pragma=synchronous(OFF)&_pragma=cache_size(-400000)&_pragma=foreign_keys(0)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var indexes []string
	rs, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('releases', 'promotions')`)
	if err != nil {
		return err
	}
	var names []string
	for rs.Next() {
		var n, q string
		if err := rs.Scan(&n, &q); err != nil {
			rs.Close()
			return err
		}
		names, indexes = append(names, n), append(indexes, q)
	}
	rs.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP INDEX "+n); err != nil {
			return err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const per = 100 // rows per INSERT statement
	const relCols, prmCols = 12, 18
	relSQL := multiInsert(`INSERT INTO releases (id, application, repository, tag, digest, source_repo, source_commit, ci_run_url, reported_by, created_at, source_committed_at, fixes) VALUES `, relCols, per/5)
	// The promotions carry their release's DORA facts as the store
	// writes them (migration 0015) and when they were restored (0016).
	prmSQL := multiInsert(`INSERT INTO promotions (id, release_id, application, environment, state, reason, commit_sha, noop, attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at, release_reported_at, release_committed_at, release_fixes, restored_at) VALUES `, prmCols, per)
	relStmt, err := tx.PrepareContext(ctx, relSQL)
	if err != nil {
		return err
	}
	prmStmt, err := tx.PrepareContext(ctx, prmSQL)
	if err != nil {
		return err
	}
	zero := time.Time{}.UnixMicro()
	var relArgs, prmArgs []any
	n := rows / len(histEnvs)
	for i := 0; i < n; i++ {
		r := histRel(i)
		relArgs = append(relArgs, r.id, r.app, r.repo, r.tag, r.digest, "https://git.example.com/acme/"+r.app,
			fmt.Sprintf("%040x", i), "https://ci.example.com/runs/"+fmt.Sprint(i), "ci", r.at.UnixMicro(), r.committed.UnixMicro(), r.fixes)
		for k := range histEnvs {
			p := histProm(r, i, k)
			at := p.at.UnixMicro()
			var restored any
			if t, ok := histRestored(p, i, k, n); ok {
				restored = t.UnixMicro()
			}
			prmArgs = append(prmArgs, p.id, p.release, p.app, p.env, p.state, p.reason, p.commit, 0, 1, at, "", zero, at, at,
				r.at.UnixMicro(), r.committed.UnixMicro(), r.fixes, restored)
		}
		if len(prmArgs) == prmCols*per {
			if _, err := relStmt.ExecContext(ctx, relArgs...); err != nil {
				return fmt.Errorf("inserting releases: %w", err)
			}
			if _, err := prmStmt.ExecContext(ctx, prmArgs...); err != nil {
				return fmt.Errorf("inserting promotions: %w", err)
			}
			relArgs, prmArgs = relArgs[:0], prmArgs[:0]
		}
	}
	if len(prmArgs) > 0 {
		if _, err := tx.ExecContext(ctx, multiInsert(relSQL[:strings.Index(relSQL, "VALUES ")+7], relCols, len(relArgs)/relCols), relArgs...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, multiInsert(prmSQL[:strings.Index(prmSQL, "VALUES ")+7], prmCols, len(prmArgs)/prmCols), prmArgs...); err != nil {
			return err
		}
	}
	for _, q := range indexes {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("re-creating index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// multiInsert returns prefix followed by n groups of cols placeholders.
func multiInsert(prefix string, cols, n int) string {
	g := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return prefix + strings.TrimSuffix(strings.Repeat(g+", ", n), ", ")
}

// loadPostgres fills the (migrated) schema of dsn with rows promotions
// through COPY, then runs ANALYZE as autovacuum would soon after.
func loadPostgres(ctx context.Context, dsn string, rows int) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	n := rows / len(histEnvs)
	i := 0
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"releases"},
		[]string{"id", "application", "repository", "tag", "digest", "source_repo", "source_commit", "ci_run_url", "reported_by", "created_at", "source_committed_at", "fixes"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			r := histRel(i)
			i++
			return []any{r.id, r.app, r.repo, r.tag, r.digest, "https://git.example.com/acme/" + r.app,
				fmt.Sprintf("%040x", i), "https://ci.example.com/runs/" + fmt.Sprint(i), "ci", r.at, r.committed, r.fixes}, nil
		}))
	if err != nil {
		return fmt.Errorf("copying releases: %w", err)
	}
	i, k := 0, 0
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"promotions"},
		[]string{"id", "release_id", "application", "environment", "state", "reason", "commit_sha", "noop", "attempts", "next_attempt_at", "lease_owner", "lease_until", "created_at", "updated_at",
			"release_reported_at", "release_committed_at", "release_fixes", "restored_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			r := histRel(i)
			p := histProm(r, i, k)
			var restored *time.Time
			if t, ok := histRestored(p, i, k, n); ok {
				restored = &t
			}
			if k++; k == len(histEnvs) {
				i, k = i+1, 0
			}
			return []any{p.id, p.release, p.app, p.env, p.state, p.reason, p.commit, false, int32(1), p.at, "", time.Time{}, p.at, p.at,
				r.at, r.committed, r.fixes, restored}, nil
		}))
	if err != nil {
		return fmt.Errorf("copying promotions: %w", err)
	}
	_, err = conn.Exec(ctx, "ANALYZE releases; ANALYZE promotions")
	return err
}
