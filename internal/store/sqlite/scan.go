package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// zeroMicros is how the zero time.Time is stored.
var zeroMicros = time.Time{}.UnixMicro()

// micros returns t as stored: microseconds since the Unix epoch (UTC).
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros; it returns times in UTC.
func fromMicros(n int64) time.Time {
	if n == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

const releaseColumns = `id, application, repository, tag, digest, source_repo, source_commit,
	source_branch, ci_run_url, reported_by, created_at`

func releaseArgs(r promotion.Release) []any {
	return []any{r.ID, r.Application, r.Repository, r.Tag, r.Digest, r.SourceRepo, r.SourceCommit,
		r.SourceBranch, r.CIRunURL, r.ReportedBy, micros(r.CreatedAt)}
}

func scanRelease(s scanner) (promotion.Release, error) {
	var r promotion.Release
	var created int64
	err := s.Scan(&r.ID, &r.Application, &r.Repository, &r.Tag, &r.Digest, &r.SourceRepo, &r.SourceCommit,
		&r.SourceBranch, &r.CIRunURL, &r.ReportedBy, &created)
	r.CreatedAt = fromMicros(created)
	return r, err
}

const promotionColumns = `id, release_id, application, environment, state, reason, commit_sha, noop,
	attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at,
	requested_by, forced, pr_number, pr_url, pr_branch, merge_sha, merged_by, approvers`

// promotionPlaceholders has one "?" per column of promotionColumns.
const promotionPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

func promotionArgs(p promotion.Promotion) []any {
	return []any{p.ID, p.ReleaseID, p.Application, p.Environment, string(p.State), p.Reason, p.CommitSHA, p.Noop,
		p.Attempts, micros(p.NextAttemptAt), p.LeaseOwner, micros(p.LeaseUntil), micros(p.CreatedAt), micros(p.UpdatedAt),
		p.RequestedBy, p.Forced, p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, approversJSON(p.Approvers)}
}

func scanPromotion(s scanner) (promotion.Promotion, error) {
	var p promotion.Promotion
	var state, approvers string
	var next, until, created, updated int64
	err := s.Scan(&p.ID, &p.ReleaseID, &p.Application, &p.Environment, &state, &p.Reason, &p.CommitSHA, &p.Noop,
		&p.Attempts, &next, &p.LeaseOwner, &until, &created, &updated,
		&p.RequestedBy, &p.Forced, &p.PRNumber, &p.PRURL, &p.PRBranch, &p.MergeSHA, &p.MergedBy, &approvers)
	if err != nil {
		return p, err
	}
	p.State = promotion.State(state)
	p.NextAttemptAt = fromMicros(next)
	p.LeaseUntil = fromMicros(until)
	p.CreatedAt = fromMicros(created)
	p.UpdatedAt = fromMicros(updated)
	if err := json.Unmarshal([]byte(approvers), &p.Approvers); err != nil {
		return p, fmt.Errorf("decoding approvers of promotion %q: %w", p.ID, err)
	}
	p.Approvers = store.Approvers(p.Approvers)
	return p, nil
}

// approversJSON returns a as stored: a JSON array, "[]" when a is nil or
// empty (both read back as nil).
func approversJSON(a []string) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a) // a []string always marshals
	return string(b)
}

const transitionColumns = `promotion_id, at, state, actor, reason`

func insertTransitionArgs(tr promotion.Transition) []any {
	return []any{tr.PromotionID, micros(tr.At), string(tr.State), tr.Actor, tr.Reason}
}

func scanTransition(s scanner) (promotion.Transition, error) {
	var tr promotion.Transition
	var state string
	var at int64
	err := s.Scan(&tr.PromotionID, &at, &state, &tr.Actor, &tr.Reason)
	tr.At = fromMicros(at)
	tr.State = promotion.State(state)
	return tr, err
}

// constraint returns the domain sentinel for a constraint violation, or err
// itself: a unique or primary key violation is derrors.ErrConflict and a
// foreign key violation (a row naming one that does not exist) is
// derrors.ErrNotFound. The driver's error stays in the chain for the logs.
func constraint(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", derrors.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %w", derrors.ErrNotFound, err)
	}
	return err
}
