package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/store"
)

const pullRequestColumns = `repository, number, head, base, head_sha, state, merge_sha, merged_by, closed_by, created_at, updated_at`

func scanPullRequest(s pgx.Row) (store.PullRequest, error) {
	var pr store.PullRequest
	err := s.Scan(&pr.Repository, &pr.Number, &pr.Head, &pr.Base, &pr.HeadSHA, &pr.State,
		&pr.MergeSHA, &pr.MergedBy, &pr.ClosedBy, &pr.CreatedAt, &pr.UpdatedAt)
	pr.CreatedAt, pr.UpdatedAt = fromTS(pr.CreatedAt), fromTS(pr.UpdatedAt)
	return pr, notFound(err)
}

// CreatePullRequest stores pr as its repository's next number. Two creates
// at once may read the same highest number: the second then violates the
// primary key and is derrors.ErrConflict, for the caller to try again.
func (s *Store) CreatePullRequest(ctx context.Context, pr store.PullRequest) (store.PullRequest, error) {
	pr.CreatedAt, pr.UpdatedAt = ts(pr.CreatedAt), ts(pr.UpdatedAt)
	err := s.pool.QueryRow(ctx, `INSERT INTO builtin_pull_requests (`+pullRequestColumns+`)
		SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10
		FROM builtin_pull_requests WHERE repository = $1
		RETURNING number`,
		pr.Repository, pr.Head, pr.Base, pr.HeadSHA, pr.State, pr.MergeSHA, pr.MergedBy, pr.ClosedBy,
		pr.CreatedAt, pr.UpdatedAt).Scan(&pr.Number)
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("creating pull request of %s in %s: %w", pr.Head, pr.Repository, classify(err))
	}
	return pr, nil
}

// GetPullRequest returns a pull request by repository and number.
func (s *Store) GetPullRequest(ctx context.Context, repo string, number int) (store.PullRequest, error) {
	pr, err := scanPullRequest(s.pool.QueryRow(ctx, `SELECT `+pullRequestColumns+` FROM builtin_pull_requests
		WHERE repository = $1 AND number = $2`, repo, number))
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("getting pull request #%d of %s: %w", number, repo, err)
	}
	return pr, nil
}

// OpenPullRequest returns the open pull request of head.
func (s *Store) OpenPullRequest(ctx context.Context, repo, head string) (store.PullRequest, error) {
	pr, err := scanPullRequest(s.pool.QueryRow(ctx, `SELECT `+pullRequestColumns+` FROM builtin_pull_requests
		WHERE repository = $1 AND head = $2 AND state = 'open' ORDER BY number DESC LIMIT 1`, repo, head))
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("finding the open pull request of %s in %s: %w", head, repo, err)
	}
	return pr, nil
}

// UpdatePullRequest writes a pull request's mutable fields.
func (s *Store) UpdatePullRequest(ctx context.Context, pr store.PullRequest) error {
	tag, err := s.pool.Exec(ctx, `UPDATE builtin_pull_requests
		SET head_sha = $1, state = $2, merge_sha = $3, merged_by = $4, closed_by = $5, updated_at = $6
		WHERE repository = $7 AND number = $8`,
		pr.HeadSHA, pr.State, pr.MergeSHA, pr.MergedBy, pr.ClosedBy, ts(pr.UpdatedAt), pr.Repository, pr.Number)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFound(pgx.ErrNoRows)
	}
	if err != nil {
		return fmt.Errorf("updating pull request #%d of %s: %w", pr.Number, pr.Repository, err)
	}
	return nil
}

// AddApproval records an approval of a pull request's head once.
func (s *Store) AddApproval(ctx context.Context, repo string, number int, headSHA, actor string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO builtin_approvals (repository, number, head_sha, actor, at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, repo, number, headSHA, actor, ts(at))
	if err != nil {
		return false, fmt.Errorf("approving pull request #%d of %s: %w", number, repo, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Approvals returns who approved a pull request's head, and when, in order.
func (s *Store) Approvals(ctx context.Context, repo string, number int, headSHA string) ([]store.Approval, error) {
	actors, err := func() ([]store.Approval, error) {
		rows, err := s.pool.Query(ctx, `SELECT actor, at FROM builtin_approvals
		WHERE repository = $1 AND number = $2 AND head_sha = $3 ORDER BY seq`, repo, number, headSHA)
		if err != nil {
			return nil, classify(err)
		}
		defer rows.Close()
		out := []store.Approval{}
		for rows.Next() {
			var a store.Approval
			if err := rows.Scan(&a.Actor, &a.At); err != nil {
				return nil, classify(err)
			}
			a.At = a.At.UTC()
			out = append(out, a)
		}
		return out, classify(rows.Err())
	}()
	if err != nil {
		return nil, fmt.Errorf("listing approvals of pull request #%d of %s: %w", number, repo, err)
	}
	return actors, nil
}
