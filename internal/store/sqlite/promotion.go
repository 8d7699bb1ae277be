package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
		err = s.write(ctx, func(tx *sql.Tx) error { return insertPromotion(ctx, tx, p) })
	}
	if err != nil {
		return fmt.Errorf("creating promotion %q: %w", p.ID, err)
	}
	return nil
}

func insertPromotion(ctx context.Context, tx *sql.Tx, p promotion.Promotion) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO promotions (`+promotionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, promotionArgs(p)...)
	return constraint(err)
}

// GetPromotion returns the promotion with id.
func (s *Store) GetPromotion(ctx context.Context, id string) (promotion.Promotion, error) {
	p, err := scanPromotion(s.r.QueryRowContext(ctx, `SELECT `+promotionColumns+` FROM promotions WHERE id = ?`, id))
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
	ps, err := list(ctx, s.r, q, args, scanPromotion)
	if err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	return store.PageOf(ps, limit, func(p promotion.Promotion) store.Cursor {
		return store.Cursor{CreatedAt: p.CreatedAt, ID: p.ID}
	}), nil
}

// UpdatePromotion writes p's mutable fields if the stored row is leased by
// owner, or owner is "". A zero UpdatedAt is set to now.
func (s *Store) UpdatePromotion(ctx context.Context, owner string, p promotion.Promotion) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now()
	}
	if !p.State.Valid() {
		return fmt.Errorf("updating promotion %q: %w", p.ID,
			derrors.New(derrors.Invalid, "invalid_promotion", "unknown state %q", p.State))
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promotions SET state = ?, reason = ?, commit_sha = ?, noop = ?,
			attempts = ?, next_attempt_at = ?, lease_owner = ?, lease_until = ?, updated_at = ?
			WHERE id = ? AND (lease_owner = ? OR ? = '')`,
			string(p.State), p.Reason, p.CommitSHA, p.Noop, p.Attempts, micros(store.Time(p.NextAttemptAt)),
			p.LeaseOwner, micros(store.Time(p.LeaseUntil)), micros(store.Time(p.UpdatedAt)), p.ID, owner, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var holder string
		err = tx.QueryRowContext(ctx, `SELECT lease_owner FROM promotions WHERE id = ?`, p.ID).Scan(&holder)
		if err != nil {
			return notFound(err)
		}
		return fmt.Errorf("leased by %q, not %q: %w", holder, owner, derrors.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("updating promotion %q: %w", p.ID, err)
	}
	return nil
}
