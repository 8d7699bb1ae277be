package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// CreateRelease stores r and its first promotions ps in one transaction, or,
// if a release of the same application, tag and digest exists, stores
// nothing and returns that release with created=false. When created, it
// returns r as stored (a zero CreatedAt set to now). A promotion with no
// ReleaseID or Application gets r's.
//
// Two writers creating the same image at once both succeed: the second
// INSERT waits for the first transaction and then finds its row.
//
// Concurrent calls are group-committed (see Group): a burst of reports
// costs one transaction and one fsync, and each call returns only once its
// release is committed.
func (s *SQL) CreateRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (promotion.Release, bool, error) {
	r, ps, err := PrepareCreateRelease(r, ps, time.Now())
	if err != nil {
		return promotion.Release{}, false, fmt.Errorf("creating release %q: %w", r.ID, err)
	}
	var existing promotion.Release
	created := false
	err = s.group.Write(ctx, func(tx Conn) error {
		existing, created = promotion.Release{}, false // fn may run again
		n, err := tx.Exec(ctx, s.q.insertRelease, s.releaseArgs(r)...)
		if err != nil {
			return err
		}
		if n == 0 {
			existing, err = s.scanRelease(tx.QueryRow(ctx, s.q.releaseOfImage, r.Application, r.Tag, r.Digest))
			return err
		}
		for _, p := range ps {
			if err := s.insertPromotion(ctx, tx, p); err != nil {
				return fmt.Errorf("creating promotion %q: %w", p.ID, err)
			}
		}
		if err := s.RecordEventTx(ctx, tx, ReportAccepted(r, ps)); err != nil {
			return err
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
func (s *SQL) GetRelease(ctx context.Context, id string) (promotion.Release, error) {
	r, err := s.scanRelease(s.read.QueryRow(ctx, s.q.release, id))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("getting release %q: %w", id, err)
	}
	return r, nil
}

// FindReleaseByDigest returns the newest release of app with digest.
func (s *SQL) FindReleaseByDigest(ctx context.Context, app, digest string) (promotion.Release, error) {
	r, err := s.scanRelease(s.read.QueryRow(ctx, s.q.releaseByDigest, app, digest))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("finding release of %q with digest %q: %w", app, digest, err)
	}
	return r, nil
}

// FindReleaseByTag returns the newest release of app with tag.
func (s *SQL) FindReleaseByTag(ctx context.Context, app, tag string) (promotion.Release, error) {
	r, err := s.scanRelease(s.read.QueryRow(ctx, s.q.releaseByTag, app, tag))
	if err != nil {
		return promotion.Release{}, fmt.Errorf("finding release of %q with tag %q: %w", app, tag, err)
	}
	return r, nil
}

// ListReleases returns a page of releases, newest first.
func (s *SQL) ListReleases(ctx context.Context, f promotion.ReleaseFilter) (promotion.Page[promotion.Release], error) {
	limit, c, err := PageArgs(f.Limit, f.Cursor)
	if err != nil {
		return promotion.Page[promotion.Release]{}, fmt.Errorf("listing releases: %w", err)
	}
	q, args := s.ListReleasesQuery(f, limit, c)
	rs, err := List(ctx, s.read, q, args, s.scanRelease)
	if err != nil {
		return promotion.Page[promotion.Release]{}, fmt.Errorf("listing releases: %w", err)
	}
	return PageOf(rs, limit, func(r promotion.Release) Cursor {
		return Cursor{CreatedAt: r.CreatedAt, ID: r.ID}
	}), nil
}
