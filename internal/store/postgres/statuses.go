package postgres

import (
	"context"
	"fmt"

	"github.com/ferryhq/ferry/internal/store"
)

// AddStatus stores one commit status report.
func (s *Store) AddStatus(ctx context.Context, st store.CommitStatus) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO commit_statuses
		(repository, sha, context, state, description, target_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		st.Repository, st.SHA, st.Context, st.State, st.Description, st.TargetURL, store.Time(st.CreatedAt))
	if err != nil {
		return fmt.Errorf("adding status %s of %s in %s: %w", st.Context, st.SHA, st.Repository, classify(err))
	}
	return nil
}

// Statuses returns the reports on a commit, oldest first.
func (s *Store) Statuses(ctx context.Context, repo, sha string) ([]store.CommitStatus, error) {
	out, err := func() ([]store.CommitStatus, error) {
		rows, err := s.pool.Query(ctx, `SELECT context, state, description, target_url, created_at
			FROM commit_statuses WHERE repository = $1 AND sha = $2 ORDER BY seq`, repo, sha)
		if err != nil {
			return nil, classify(err)
		}
		defer rows.Close()
		out := []store.CommitStatus{}
		for rows.Next() {
			st := store.CommitStatus{Repository: repo, SHA: sha}
			if err := rows.Scan(&st.Context, &st.State, &st.Description, &st.TargetURL, &st.CreatedAt); err != nil {
				return nil, classify(err)
			}
			st.CreatedAt = store.Time(st.CreatedAt)
			out = append(out, st)
		}
		return out, classify(rows.Err())
	}()
	if err != nil {
		return nil, fmt.Errorf("listing statuses of %s in %s: %w", sha, repo, err)
	}
	return out, nil
}
