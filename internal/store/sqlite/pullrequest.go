package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/store"
)

const pullRequestColumns = `repository, number, head, base, head_sha, state, merge_sha, merged_by, closed_by, created_at, updated_at`

func scanPullRequest(s scanner) (store.PullRequest, error) {
	var pr store.PullRequest
	var created, updated int64
	err := s.Scan(&pr.Repository, &pr.Number, &pr.Head, &pr.Base, &pr.HeadSHA, &pr.State,
		&pr.MergeSHA, &pr.MergedBy, &pr.ClosedBy, &created, &updated)
	pr.CreatedAt, pr.UpdatedAt = fromMicros(created), fromMicros(updated)
	return pr, notFound(err)
}

// CreatePullRequest stores pr as its repository's next number. The writer
// connection serialises creates, so the number taken is always free.
func (s *Store) CreatePullRequest(ctx context.Context, pr store.PullRequest) (store.PullRequest, error) {
	pr.CreatedAt, pr.UpdatedAt = store.Time(pr.CreatedAt), store.Time(pr.UpdatedAt)
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO builtin_pull_requests (`+pullRequestColumns+`)
			SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
			FROM builtin_pull_requests WHERE repository = ?1
			RETURNING number`,
			pr.Repository, pr.Head, pr.Base, pr.HeadSHA, pr.State, pr.MergeSHA, pr.MergedBy, pr.ClosedBy,
			micros(pr.CreatedAt), micros(pr.UpdatedAt)).Scan(&pr.Number)
		return classify(err)
	})
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("creating pull request of %s in %s: %w", pr.Head, pr.Repository, err)
	}
	return pr, nil
}

// GetPullRequest returns a pull request by repository and number.
func (s *Store) GetPullRequest(ctx context.Context, repo string, number int) (store.PullRequest, error) {
	pr, err := scanPullRequest(s.r.QueryRowContext(ctx, `SELECT `+pullRequestColumns+` FROM builtin_pull_requests
		WHERE repository = ? AND number = ?`, repo, number))
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("getting pull request #%d of %s: %w", number, repo, err)
	}
	return pr, nil
}

// OpenPullRequest returns the open pull request of head.
func (s *Store) OpenPullRequest(ctx context.Context, repo, head string) (store.PullRequest, error) {
	pr, err := scanPullRequest(s.r.QueryRowContext(ctx, `SELECT `+pullRequestColumns+` FROM builtin_pull_requests
		WHERE repository = ? AND head = ? AND state = 'open' ORDER BY number DESC LIMIT 1`, repo, head))
	if err != nil {
		return store.PullRequest{}, fmt.Errorf("finding the open pull request of %s in %s: %w", head, repo, err)
	}
	return pr, nil
}

// UpdatePullRequest writes a pull request's mutable fields.
func (s *Store) UpdatePullRequest(ctx context.Context, pr store.PullRequest) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE builtin_pull_requests
			SET head_sha = ?, state = ?, merge_sha = ?, merged_by = ?, closed_by = ?, updated_at = ?
			WHERE repository = ? AND number = ?`,
			pr.HeadSHA, pr.State, pr.MergeSHA, pr.MergedBy, pr.ClosedBy, micros(store.Time(pr.UpdatedAt)),
			pr.Repository, pr.Number)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return notFound(sql.ErrNoRows)
	})
	if err != nil {
		return fmt.Errorf("updating pull request #%d of %s: %w", pr.Number, pr.Repository, err)
	}
	return nil
}

// AddApproval records an approval of a pull request's head once.
func (s *Store) AddApproval(ctx context.Context, repo string, number int, headSHA, actor string, at time.Time) (bool, error) {
	added := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO builtin_approvals (repository, number, head_sha, actor, at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, repo, number, headSHA, actor, micros(store.Time(at)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("approving pull request #%d of %s: %w", number, repo, err)
	}
	return added, nil
}

// Approvals returns who approved a pull request's head, and when, in order.
func (s *Store) Approvals(ctx context.Context, repo string, number int, headSHA string) ([]store.Approval, error) {
	actors, err := func() ([]store.Approval, error) {
		rows, err := s.r.QueryContext(ctx, `SELECT actor, at FROM builtin_approvals
		WHERE repository = ? AND number = ? AND head_sha = ? ORDER BY rowid`, repo, number, headSHA)
		if err != nil {
			return nil, classify(err)
		}
		defer rows.Close()
		out := []store.Approval{}
		for rows.Next() {
			var a store.Approval
			var at int64
			if err := rows.Scan(&a.Actor, &at); err != nil {
				return nil, classify(err)
			}
			a.At = fromMicros(at)
			out = append(out, a)
		}
		return out, classify(rows.Err())
	}()
	if err != nil {
		return nil, fmt.Errorf("listing approvals of pull request #%d of %s: %w", number, repo, err)
	}
	return actors, nil
}
