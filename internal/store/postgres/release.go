package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CreateRelease stores r and its first promotions ps in one transaction, or,
// if a release of the same application, tag and digest exists, stores
// nothing and returns that release with created=false. When created, it
// returns r as stored (a zero CreatedAt set to now). A promotion with no
// ReleaseID or Application gets r's.
//
// Two replicas creating the same image at once both succeed: the second
// INSERT waits for the first transaction and then finds its row.
func (s *Store) CreateRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (promotion.Release, bool, error) {
	r, ps, err := store.PrepareCreateRelease(r, ps, time.Now())
	if err != nil {
		return promotion.Release{}, false, fmt.Errorf("creating release %q: %w", r.ID, err)
	}
	var existing promotion.Release
	created := false
	err = s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO releases (`+releaseColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (application, tag, digest) DO NOTHING`, releaseArgs(r)...)
		if err != nil {
			return constraint(err)
		}
		if tag.RowsAffected() == 0 {
			existing, err = scanRelease(tx.QueryRow(ctx, `SELECT `+releaseColumns+` FROM releases
				WHERE application = $1 AND tag = $2 AND digest = $3`, r.Application, r.Tag, r.Digest))
			return err
		}
		for _, p := range ps {
			if err := insertPromotion(ctx, tx, p); err != nil {
				return fmt.Errorf("creating promotion %q: %w", p.ID, err)
			}
		}
		existing, created = r, true
		return nil
	})
	if err != nil {
		return promotion.Release{}, false, fmt.Errorf("creating release %q: %w", r.ID, err)
	}
	return existing, created, nil
}

// GetRelease returns the release with id.
func (s *Store) GetRelease(ctx context.Context, id string) (promotion.Release, error) {
	r, err := scanRelease(s.pool.QueryRow(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = $1`, id))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("getting release %q: %w", id, notFound(err))
	}
	return r, nil
}

// FindReleaseByDigest returns the newest release of app with digest.
func (s *Store) FindReleaseByDigest(ctx context.Context, app, digest string) (promotion.Release, error) {
	r, err := scanRelease(s.pool.QueryRow(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE application = $1 AND digest = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, app, digest))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("finding release of %q with digest %q: %w", app, digest, notFound(err))
	}
	return r, nil
}

// FindReleaseByTag returns the newest release of app with tag.
func (s *Store) FindReleaseByTag(ctx context.Context, app, tag string) (promotion.Release, error) {
	r, err := scanRelease(s.pool.QueryRow(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE application = $1 AND tag = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, app, tag))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("finding release of %q with tag %q: %w", app, tag, notFound(err))
	}
	return r, nil
}

// ListReleases returns a page of releases, newest first.
func (s *Store) ListReleases(ctx context.Context, f promotion.ReleaseFilter) (promotion.Page[promotion.Release], error) {
	limit, c, err := store.PageArgs(f.Limit, f.Cursor)
	if err != nil {
		return promotion.Page[promotion.Release]{}, fmt.Errorf("listing releases: %w", err)
	}
	q, args := listReleasesQuery(f, limit, c)
	rs, err := list(ctx, s.pool, q, args, scanRelease)
	if err != nil {
		return promotion.Page[promotion.Release]{}, fmt.Errorf("listing releases: %w", err)
	}
	return store.PageOf(rs, limit, func(r promotion.Release) store.Cursor {
		return store.Cursor{CreatedAt: r.CreatedAt, ID: r.ID}
	}), nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// list runs a query and scans its rows.
func list[T any](ctx context.Context, db querier, q string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return items, rows.Err()
}
