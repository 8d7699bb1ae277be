package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferryhq/ferry/internal/store"
)

// AddStatus stores one commit status report.
func (s *Store) AddStatus(ctx context.Context, st store.CommitStatus) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO commit_statuses
			(repository, sha, context, state, description, target_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.Repository, st.SHA, st.Context, st.State, st.Description, st.TargetURL, micros(store.Time(st.CreatedAt)))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("adding status %s of %s in %s: %w", st.Context, st.SHA, st.Repository, err)
	}
	return nil
}

// Statuses returns the reports on a commit, oldest first (rowid order).
func (s *Store) Statuses(ctx context.Context, repo, sha string) ([]store.CommitStatus, error) {
	out, err := func() ([]store.CommitStatus, error) {
		rows, err := s.r.QueryContext(ctx, `SELECT context, state, description, target_url, created_at
			FROM commit_statuses WHERE repository = ? AND sha = ? ORDER BY rowid`, repo, sha)
		if err != nil {
			return nil, classify(err)
		}
		defer rows.Close()
		out := []store.CommitStatus{}
		for rows.Next() {
			st := store.CommitStatus{Repository: repo, SHA: sha}
			var created int64
			if err := rows.Scan(&st.Context, &st.State, &st.Description, &st.TargetURL, &created); err != nil {
				return nil, classify(err)
			}
			st.CreatedAt = fromMicros(created)
			out = append(out, st)
		}
		return out, classify(rows.Err())
	}()
	if err != nil {
		return nil, fmt.Errorf("listing statuses of %s in %s: %w", sha, repo, err)
	}
	return out, nil
}
