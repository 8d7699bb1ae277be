package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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

// insertPromotion stores p (prepared) and its first transition.
func insertPromotion(ctx context.Context, tx *sql.Tx, p promotion.Promotion) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO promotions (`+promotionColumns+`)
		VALUES (`+promotionPlaceholders+`)`, promotionArgs(p)...)
	if err != nil {
		return constraint(err)
	}
	return insertTransition(ctx, tx, store.FirstTransition(p))
}

func insertTransition(ctx context.Context, tx *sql.Tx, tr promotion.Transition) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO promotion_transitions (`+transitionColumns+`)
		VALUES (?, ?, ?, ?, ?)`, insertTransitionArgs(tr)...)
	if err != nil {
		return fmt.Errorf("recording transition of promotion %q: %w", tr.PromotionID, constraint(err))
	}
	return nil
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
// owner, or owner is "". A zero UpdatedAt is set to now. When State or
// Reason changes, it records a transition in the same transaction.
func (s *Store) UpdatePromotion(ctx context.Context, owner string, p promotion.Promotion) error {
	p, err := store.PrepareUpdate(p, time.Now())
	if err == nil {
		err = s.write(ctx, func(tx *sql.Tx) error { return updatePromotion(ctx, tx, owner, p) })
	}
	if err != nil {
		return fmt.Errorf("updating promotion %q: %w", p.ID, err)
	}
	return nil
}

// updatePromotion writes p (prepared) and its transition, if any. The
// writer's transaction began IMMEDIATE, so the row read is the row written.
func updatePromotion(ctx context.Context, tx *sql.Tx, owner string, p promotion.Promotion) error {
	var state, reason, holder string
	err := tx.QueryRowContext(ctx, `SELECT state, reason, lease_owner FROM promotions WHERE id = ?`, p.ID).
		Scan(&state, &reason, &holder)
	if err != nil {
		return notFound(err)
	}
	if err := store.CheckLease(owner, holder); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE promotions SET state = ?, reason = ?, commit_sha = ?, noop = ?,
		attempts = ?, next_attempt_at = ?, lease_owner = ?, lease_until = ?, updated_at = ?,
		pr_number = ?, pr_url = ?, pr_branch = ?, merge_sha = ?, merged_by = ?, approvers = ?
		WHERE id = ?`,
		string(p.State), p.Reason, p.CommitSHA, p.Noop, p.Attempts, micros(p.NextAttemptAt),
		p.LeaseOwner, micros(p.LeaseUntil), micros(p.UpdatedAt),
		p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, approversJSON(p.Approvers), p.ID)
	if err != nil {
		return err
	}
	if tr, ok := store.NextTransition(promotion.State(state), reason, p); ok {
		return insertTransition(ctx, tx, tr)
	}
	return nil
}
