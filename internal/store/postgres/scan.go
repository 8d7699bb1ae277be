package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// ts returns t as stored: UTC, microseconds.
func ts(t time.Time) time.Time { return store.Time(t) }

// fromTS returns a stored time in UTC; 0001-01-01 is the zero time.
func fromTS(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

const releaseColumns = `id, application, repository, tag, digest, source_repo, source_commit,
	source_branch, ci_run_url, reported_by, created_at`

func releaseArgs(r promotion.Release) []any {
	return []any{r.ID, r.Application, r.Repository, r.Tag, r.Digest, r.SourceRepo, r.SourceCommit,
		r.SourceBranch, r.CIRunURL, r.ReportedBy, ts(r.CreatedAt)}
}

func scanRelease(s pgx.Row) (promotion.Release, error) {
	var r promotion.Release
	err := s.Scan(&r.ID, &r.Application, &r.Repository, &r.Tag, &r.Digest, &r.SourceRepo, &r.SourceCommit,
		&r.SourceBranch, &r.CIRunURL, &r.ReportedBy, &r.CreatedAt)
	r.CreatedAt = fromTS(r.CreatedAt)
	return r, err
}

const promotionColumns = `id, release_id, application, environment, state, reason, commit_sha, noop,
	attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at,
	requested_by, forced, pr_number, pr_url, pr_branch, merge_sha, merged_by, approvers`

// promotionPlaceholders has one placeholder per column of promotionColumns.
const promotionPlaceholders = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
	$15, $16, $17, $18, $19, $20, $21, $22`

func promotionArgs(p promotion.Promotion) []any {
	return []any{p.ID, p.ReleaseID, p.Application, p.Environment, string(p.State), p.Reason, p.CommitSHA, p.Noop,
		p.Attempts, ts(p.NextAttemptAt), p.LeaseOwner, ts(p.LeaseUntil), ts(p.CreatedAt), ts(p.UpdatedAt),
		p.RequestedBy, p.Forced, p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, approversArray(p.Approvers)}
}

func scanPromotion(s pgx.Row) (promotion.Promotion, error) {
	var p promotion.Promotion
	var state string
	err := s.Scan(&p.ID, &p.ReleaseID, &p.Application, &p.Environment, &state, &p.Reason, &p.CommitSHA, &p.Noop,
		&p.Attempts, &p.NextAttemptAt, &p.LeaseOwner, &p.LeaseUntil, &p.CreatedAt, &p.UpdatedAt,
		&p.RequestedBy, &p.Forced, &p.PRNumber, &p.PRURL, &p.PRBranch, &p.MergeSHA, &p.MergedBy, &p.Approvers)
	p.State = promotion.State(state)
	p.NextAttemptAt = fromTS(p.NextAttemptAt)
	p.LeaseUntil = fromTS(p.LeaseUntil)
	p.CreatedAt = fromTS(p.CreatedAt)
	p.UpdatedAt = fromTS(p.UpdatedAt)
	p.Approvers = store.Approvers(p.Approvers)
	return p, err
}

// approversArray returns a as stored: a text[], '{}' when a is nil or empty
// (both read back as nil). pgx would send a nil slice as NULL, which the
// column refuses.
func approversArray(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

const transitionColumns = `promotion_id, at, state, actor, reason`

func transitionArgs(tr promotion.Transition) []any {
	return []any{tr.PromotionID, ts(tr.At), string(tr.State), tr.Actor, tr.Reason}
}

func scanTransition(s pgx.Row) (promotion.Transition, error) {
	var tr promotion.Transition
	var state string
	err := s.Scan(&tr.PromotionID, &tr.At, &state, &tr.Actor, &tr.Reason)
	tr.At = fromTS(tr.At)
	tr.State = promotion.State(state)
	return tr, err
}

// SQLSTATEs the store maps to domain sentinels.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// constraint returns the domain sentinel for a constraint violation, or err
// itself: a unique violation is derrors.ErrConflict and a foreign key
// violation (a row naming one that does not exist) is derrors.ErrNotFound.
// The driver's error stays in the chain for the logs.
func constraint(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case uniqueViolation:
		return fmt.Errorf("%w: %w", derrors.ErrConflict, err)
	case foreignKeyViolation:
		return fmt.Errorf("%w: %w", derrors.ErrNotFound, err)
	}
	return err
}

// notFound turns pgx.ErrNoRows into derrors.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return derrors.ErrNotFound
	}
	return err
}
