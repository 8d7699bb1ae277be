package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CreatePromotion stores p. A zero CreatedAt is set to now and a zero
// UpdatedAt to CreatedAt. An existing ID is derrors.ErrConflict and an
// unknown ReleaseID derrors.ErrNotFound (both wrapped).
func (s *Store) CreatePromotion(ctx context.Context, p promotion.Promotion) error {
	p, err := store.PreparePromotion(p, time.Now())
	if err == nil {
		err = insertPromotion(ctx, s.pool, p)
	}
	if err != nil {
		return fmt.Errorf("creating promotion %q: %w", p.ID, err)
	}
	return nil
}

// execer is a pool, a connection or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertPromotion(ctx context.Context, db execer, p promotion.Promotion) error {
	_, err := db.Exec(ctx, `INSERT INTO promotions (`+promotionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, promotionArgs(p)...)
	return constraint(err)
}

// GetPromotion returns the promotion with id.
func (s *Store) GetPromotion(ctx context.Context, id string) (promotion.Promotion, error) {
	p, err := scanPromotion(s.pool.QueryRow(ctx, `SELECT `+promotionColumns+` FROM promotions WHERE id = $1`, id))
	if err != nil {
		return promotion.Promotion{}, fmt.Errorf("getting promotion %q: %w", id, notFound(err))
	}
	return p, nil
}

// ListPromotions returns a page of promotions, newest first.
func (s *Store) ListPromotions(ctx context.Context, f promotion.PromotionFilter) (promotion.Page[promotion.Promotion], error) {
	if err := store.CheckPromotionFilter(f); err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	limit, c, err := store.PageArgs(f.Limit, f.Cursor)
	if err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	q, args := listPromotionsQuery(f, limit, c)
	ps, err := list(ctx, s.pool, q, args, scanPromotion)
	if err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	return store.PageOf(ps, limit, func(p promotion.Promotion) store.Cursor {
		return store.Cursor{CreatedAt: p.CreatedAt, ID: p.ID}
	}), nil
}

// UpdatePromotion writes p's mutable fields if the stored row is leased by
// owner, or owner is "". A zero UpdatedAt is set to now. The lease check is
// part of the UPDATE, so it holds against a concurrent claim.
func (s *Store) UpdatePromotion(ctx context.Context, owner string, p promotion.Promotion) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now()
	}
	if !p.State.Valid() {
		return fmt.Errorf("updating promotion %q: %w", p.ID,
			derrors.New(derrors.Invalid, "invalid_promotion", "unknown state %q", p.State))
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE promotions SET state = $1, reason = $2, commit_sha = $3, noop = $4,
			attempts = $5, next_attempt_at = $6, lease_owner = $7, lease_until = $8, updated_at = $9
			WHERE id = $10 AND (lease_owner = $11 OR $11 = '')`,
			string(p.State), p.Reason, p.CommitSHA, p.Noop, p.Attempts, ts(p.NextAttemptAt),
			p.LeaseOwner, ts(p.LeaseUntil), ts(p.UpdatedAt), p.ID, owner)
		if err != nil || tag.RowsAffected() > 0 {
			return err
		}
		var holder string
		if err := tx.QueryRow(ctx, `SELECT lease_owner FROM promotions WHERE id = $1`, p.ID).Scan(&holder); err != nil {
			return notFound(err)
		}
		return fmt.Errorf("leased by %q, not %q: %w", holder, owner, derrors.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("updating promotion %q: %w", p.ID, err)
	}
	return nil
}
