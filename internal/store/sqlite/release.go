package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CreateRelease stores r and its first promotions ps in one transaction, or,
// if a release of the same application, tag and digest exists, stores
// nothing and returns that release with created=false. When created, it
// returns r as stored (a zero CreatedAt set to now). A promotion with no
// ReleaseID or Application gets r's.
func (s *Store) CreateRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (promotion.Release, bool, error) {
	r, ps, err := store.PrepareCreateRelease(r, ps, time.Now())
	if err != nil {
		return promotion.Release{}, false, fmt.Errorf("creating release %q: %w", r.ID, err)
	}
	var existing promotion.Release
	created := false
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO releases (`+releaseColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (application, tag, digest) DO NOTHING`, releaseArgs(r)...)
		if err != nil {
			return constraint(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			existing, err = scanRelease(tx.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases
				WHERE application = ? AND tag = ? AND digest = ?`, r.Application, r.Tag, r.Digest))
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
	r, err := scanRelease(s.r.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, id))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("getting release %q: %w", id, notFound(err))
	}
	return r, nil
}

// FindReleaseByDigest returns the newest release of app with digest.
func (s *Store) FindReleaseByDigest(ctx context.Context, app, digest string) (promotion.Release, error) {
	r, err := scanRelease(s.r.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE application = ? AND digest = ? ORDER BY created_at DESC, id DESC LIMIT 1`, app, digest))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("finding release of %q with digest %q: %w", app, digest, notFound(err))
	}
	return r, nil
}

// FindReleaseByTag returns the newest release of app with tag.
func (s *Store) FindReleaseByTag(ctx context.Context, app, tag string) (promotion.Release, error) {
	r, err := scanRelease(s.r.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE application = ? AND tag = ? ORDER BY created_at DESC, id DESC LIMIT 1`, app, tag))
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
	rs, err := list(ctx, s.r, q, args, scanRelease)
	if err != nil {
		return promotion.Page[promotion.Release]{}, fmt.Errorf("listing releases: %w", err)
	}
	return store.PageOf(rs, limit, func(r promotion.Release) store.Cursor {
		return store.Cursor{CreatedAt: r.CreatedAt, ID: r.ID}
	}), nil
}

// list runs a query and scans its rows.
func list[T any](ctx context.Context, db *sql.DB, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
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

// notFound turns sql.ErrNoRows into derrors.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return derrors.ErrNotFound
	}
	return err
}
