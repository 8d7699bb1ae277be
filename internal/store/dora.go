package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// DeployedSQL is word for word the predicate of the partial index
// promotions_deployed_dora (migration 0015 of each driver): the promotions
// that changed what runs in an environment. A committed or merged promotion
// never changes again, so its updated_at is when it got there.
const DeployedSQL = `state IN ('committed', 'merged') AND noop = false`

// DoraFilter selects the deployments of one application, or of one release
// set, in one environment or all of them, that reached it in [From, To).
type DoraFilter struct {
	// Application or Set (exactly one) names what is measured. A set's
	// deployments are its set releases reaching an environment: see
	// doraSetQuery.
	Application string
	Set         string
	// Environment, when set, narrows to one environment.
	Environment string
	From, To    time.Time
	// Bucket is the width of the chart's buckets, counted from From.
	Bucket time.Duration
}

// DoraBucket is what the deployments of one environment in one bucket of
// the window add up to. Every field is a sum, so buckets add up to the
// window's totals.
type DoraBucket struct {
	Environment string
	// Index counts buckets from From, 0 first.
	Index int
	// Deployments is how many promotions reached the environment.
	Deployments int
	// FromCommit is how many of them had a source commit time from CI;
	// the lead time of the others is measured from the build report.
	FromCommit int
	// LeadSeconds is the sum of their lead times: from the source commit
	// (or the report) to reaching the environment.
	LeadSeconds float64
	// Failures is how many deployments the next deployment into the same
	// environment, also in the window, restored: a rollback (a release
	// reported before the failed one) or a fix-forward (a release whose
	// Fixes names the failed deployment's release).
	Failures int
	// RestoreSeconds is the sum, over Failures, of the time from the
	// failed deployment reaching the environment to its restore reaching it.
	RestoreSeconds float64
}

// maxDoraBuckets bounds the rows one query returns per environment: a
// chart wider than this is unreadable anyway.
const maxDoraBuckets = 400

// DoraBuckets sums the deployments f selects per environment and bucket,
// in the order of environment and bucket, with no row for an empty bucket.
func (s *SQL) DoraBuckets(ctx context.Context, f DoraFilter) ([]DoraBucket, error) {
	switch {
	case f.Application == "" && f.Set == "":
		return nil, derrors.New(derrors.Invalid, "invalid_field", "application: required (or set)")
	case f.Application != "" && f.Set != "":
		return nil, derrors.New(derrors.Invalid, "invalid_field", "set: give application or set, not both")
	case !f.From.Before(f.To):
		return nil, derrors.New(derrors.Invalid, "invalid_field", "from: must be before to")
	case f.Bucket <= 0 || f.To.Sub(f.From)/f.Bucket > maxDoraBuckets:
		return nil, derrors.New(derrors.Invalid, "invalid_field", "bucket: the window must be 1 to %d buckets wide", maxDoraBuckets)
	}
	q, args := s.doraQuery(f)
	what := "application " + f.Application
	if f.Set != "" {
		q, args = s.doraSetQuery(f)
		what = "set " + f.Set
	}
	bs, err := List(ctx, s.read, q, args, func(row Row) (DoraBucket, error) {
		var b DoraBucket
		err := row.Scan(&b.Environment, &b.Index, &b.Deployments, &b.FromCommit, &b.LeadSeconds, &b.Failures, &b.RestoreSeconds)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the deployments of %s: %w", what, err)
	}
	// The query leaves the order to us: a few hundred rows sort here in
	// no time, and a query with no ORDER BY lets PostgreSQL group in a
	// hash table rather than sort every deployment of the window first.
	slices.SortFunc(bs, func(a, b DoraBucket) int {
		return cmp.Or(strings.Compare(a.Environment, b.Environment), cmp.Compare(a.Index, b.Index))
	})
	return bs, nil
}

// doraQuery builds the query of DoraBuckets and its arguments.
//
// It sums one application's deployments in the window, a range of
// promotions_deployed_dora read index-only, per environment and bucket: no
// join and no window function. Each row carries its release's report time
// and source commit time (migration 0015) and restored_at (migration 0016:
// when the next deployment into the same environment restored it, kept
// by markRestores). A deployment failed in the window when restored_at is
// before To: the next deployment comes after it, so it is in the window
// exactly when it is before To, and it is then the one LEAD() over the
// window would find. A time stored as zero (no source commit time) is
// before epoch, the lower bound a real commit time passes.
func (s *SQL) doraQuery(f DoraFilter) (string, []any) {
	d := s.d
	epoch := d.time(time.Unix(0, 0))
	to := d.time(f.To)
	bucket, bucketArgs := d.bucket("updated_at", f.From, f.Bucket)
	started := `CASE WHEN release_committed_at > ? THEN release_committed_at ELSE release_reported_at END`
	env := ""
	args := []any{}
	args = append(args, bucketArgs...)
	args = append(args, epoch, epoch, to, to, f.Application, d.time(f.From), to)
	if f.Environment != "" {
		env = ` AND environment = ?`
		args = append(args, f.Environment)
	}
	q := `SELECT environment, ` + bucket + ` AS b, COUNT(*),
		SUM(CASE WHEN release_committed_at > ? THEN 1 ELSE 0 END),
		SUM(` + d.seconds("updated_at", started) + `),
		SUM(CASE WHEN restored_at < ? THEN 1 ELSE 0 END),
		COALESCE(SUM(CASE WHEN restored_at < ? THEN ` + d.seconds("restored_at", "updated_at") + ` END), 0)
	FROM promotions
	WHERE application = ? AND ` + DeployedSQL + ` AND updated_at >= ? AND updated_at < ?` + env + `
	GROUP BY environment, b`
	return d.rebind(q), args
}

// doraSetQuery builds the query of DoraBuckets for a release set.
//
// A set release is deployed to an environment when every member's
// promotion of one round (the promotions of the set release into the
// environment written together, so with one created_at) is committed or
// merged and at least one of them changed something (not a no-op); it
// reached the environment when its last member did. Its lead time starts
// at the earliest start of its changed members (each one's source commit
// time, else its release's report), so the change that waited longest
// counts; it is measured from the source commit only when every changed
// member had one. It failed when the next set deployment into the same
// environment, also in the window, is a rollback (a set release formed
// before it) or a fix-forward (a changed member's release names, with
// fixes, the release of one of its changed members); the time to restore
// runs to that next deployment. Sets move far less often than their
// members, so this one reads the set's promotions through
// promotions_set_created and ranks them with LEAD().
func (s *SQL) doraSetQuery(f DoraFilter) (string, []any) {
	d := s.d
	epoch := d.time(time.Unix(0, 0))
	bucket, bucketArgs := d.bucket("reached", f.From, f.Bucket)
	args := []any{epoch, epoch, f.Set}
	env := ""
	if f.Environment != "" {
		env = ` AND p.environment = ?`
		args = append(args, f.Environment)
	}
	args = append(args, d.time(f.From), d.time(f.To))
	args = append(args, bucketArgs...)
	q := `WITH r AS (
		SELECT p.set_release_id AS sid, p.environment AS env, p.created_at AS rnd, s.created_at AS formed,
			MAX(p.updated_at) AS reached,
			MIN(CASE WHEN p.noop = false THEN
				CASE WHEN p.release_committed_at > ? THEN p.release_committed_at ELSE p.release_reported_at END END) AS started,
			SUM(CASE WHEN p.noop = false AND p.release_committed_at <= ? THEN 1 ELSE 0 END) AS from_report,
			SUM(CASE WHEN p.state IN ('committed', 'merged') THEN 0 ELSE 1 END) AS unfinished,
			SUM(CASE WHEN p.noop = false THEN 1 ELSE 0 END) AS changed
		FROM release_sets s JOIN promotions p ON p.set_release_id = s.id
		WHERE s.name = ?` + env + `
		GROUP BY p.set_release_id, p.environment, p.created_at, s.created_at
	), w AS (
		SELECT sid, env, rnd, formed, reached, started, from_report,
			LEAD(reached) OVER o AS next_reached, LEAD(sid) OVER o AS next_sid,
			LEAD(rnd) OVER o AS next_rnd, LEAD(formed) OVER o AS next_formed
		FROM r WHERE unfinished = 0 AND changed > 0 AND reached >= ? AND reached < ?
		WINDOW o AS (PARTITION BY env ORDER BY reached, sid)
	), f AS (
		SELECT env, reached, started, from_report, next_reached,
			CASE WHEN next_reached IS NOT NULL AND (next_formed < formed OR EXISTS (
				SELECT 1 FROM promotions a JOIN promotions b ON b.release_id = a.release_fixes
				WHERE a.set_release_id = w.next_sid AND a.environment = w.env AND a.created_at = w.next_rnd AND a.noop = false
					AND b.set_release_id = w.sid AND b.environment = w.env AND b.created_at = w.rnd AND b.noop = false))
			THEN 1 ELSE 0 END AS failed
		FROM w
	)
	SELECT env, ` + bucket + ` AS b, COUNT(*),
		SUM(CASE WHEN from_report = 0 THEN 1 ELSE 0 END),
		SUM(` + d.seconds("reached", "started") + `),
		SUM(failed),
		COALESCE(SUM(CASE WHEN failed = 1 THEN ` + d.seconds("next_reached", "reached") + ` END), 0)
	FROM f GROUP BY env, b ORDER BY env, b`
	return d.rebind(q), args
}

// restoredSQL is the value of restored_at of the promotion the outer
// query names "promotions": when the next deployment of the same
// application into the same environment reached it, if that one restored
// it (a rollback: reported before it; a fix-forward naming its release),
// else NULL. Migration 0016 backfills with this very expression.
const restoredSQL = `(SELECT CASE WHEN n.release_reported_at < promotions.release_reported_at OR n.release_fixes = promotions.release_id
		THEN n.updated_at END
	FROM promotions n
	WHERE n.application = promotions.application AND n.environment = promotions.environment
		AND n.state IN ('committed', 'merged') AND n.noop = false
		AND n.updated_at >= promotions.updated_at
		AND (n.updated_at > promotions.updated_at OR n.release_id > promotions.release_id)
	ORDER BY n.updated_at, n.release_id LIMIT 1)`

// markRestores keeps restored_at (see restoredSQL) right after p was
// written: a deployment is next to the one before it in its environment,
// which it may have restored, and to the one after it (written out of
// order, as reindex may), which may restore it. Nothing else changes: a
// deployment never stops being one, nor moves.
func (s *SQL) markRestores(ctx context.Context, tx Conn, p promotion.Promotion) error {
	if (p.State != promotion.StateCommitted && p.State != promotion.StateMerged) || p.Noop {
		return nil
	}
	var app, env, rid string
	var reached timeColumn
	if err := tx.QueryRow(ctx, s.q.deploymentPlace, p.ID).Scan(&app, &env, reached.dest(s.d), &rid); err != nil {
		return fmt.Errorf("reading promotion %q back: %w", p.ID, err)
	}
	t := s.d.time(reached.value(s.d))
	var prev string
	err := tx.QueryRow(ctx, s.q.previousDeployment, app, env, t, t, rid).Scan(&prev)
	if err != nil && !errors.Is(err, derrors.ErrNotFound) {
		return fmt.Errorf("finding the deployment before promotion %q: %w", p.ID, err)
	}
	if _, err := tx.Exec(ctx, s.q.markRestored, p.ID, prev); err != nil {
		return fmt.Errorf("marking the restores around promotion %q: %w", p.ID, err)
	}
	return nil
}

// DoraQuery returns the query DoraBuckets runs for f and its arguments,
// for plan tests.
func (s *SQL) DoraQuery(f DoraFilter) (string, []any) { return s.doraQuery(f) }

// PreviousDeploymentQuery returns the query markRestores runs to find the
// deployment before one (arguments: application, environment, reached
// twice, release id), for plan tests.
func (s *SQL) PreviousDeploymentQuery() string { return s.q.previousDeployment }

// MarkRestoredQuery returns the statement markRestores runs to set
// restored_at of two promotions (arguments: their ids), for plan tests.
func (s *SQL) MarkRestoredQuery() string { return s.q.markRestored }
