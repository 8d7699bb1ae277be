package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CreatePromotion stores p. A zero CreatedAt is set to now and a zero
// UpdatedAt to CreatedAt. An existing ID is derrors.ErrConflict and an
// unknown ReleaseID derrors.ErrNotFound (both wrapped).
func (s *Store) CreatePromotion(ctx context.Context, p promotion.Promotion) error {
	p, err := store.PreparePromotion(p, time.Now())
	if err == nil {
		err = s.write(ctx, func(tx pgx.Tx) error { return insertPromotion(ctx, tx, p) })
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

// insertPromotion stores p (prepared) and its first transition; run it in a
// transaction.
func insertPromotion(ctx context.Context, db execer, p promotion.Promotion) error {
	_, err := db.Exec(ctx, `INSERT INTO promotions (`+promotionColumns+`)
		VALUES (`+promotionPlaceholders+`)`, promotionArgs(p)...)
	if err != nil {
		return constraint(err)
	}
	return insertTransition(ctx, db, store.FirstTransition(p))
}

func insertTransition(ctx context.Context, db execer, tr promotion.Transition) error {
	_, err := db.Exec(ctx, `INSERT INTO promotion_transitions (`+transitionColumns+`)
		VALUES ($1, $2, $3, $4, $5)`, transitionArgs(tr)...)
	if err != nil {
		return fmt.Errorf("recording transition of promotion %q: %w", tr.PromotionID, constraint(err))
	}
	return nil
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
// owner, or owner is "". A zero UpdatedAt is set to now. When State or
// Reason changes, it records a transition in the same transaction.
func (s *Store) UpdatePromotion(ctx context.Context, owner string, p promotion.Promotion) error {
	p, err := store.PrepareUpdate(p, time.Now())
	if err == nil {
		err = s.write(ctx, func(tx pgx.Tx) error { return updatePromotion(ctx, tx, owner, p) })
	}
	if err != nil {
		return fmt.Errorf("updating promotion %q: %w", p.ID, err)
	}
	return nil
}

// updatePromotion writes p (prepared) and its transition, if any. FOR UPDATE
// locks the row from the lease check to the commit: a concurrent claim skips
// it, and a claim that committed first is the row read.
func updatePromotion(ctx context.Context, tx pgx.Tx, owner string, p promotion.Promotion) error {
	var state, reason, holder string
	err := tx.QueryRow(ctx, `SELECT state, reason, lease_owner FROM promotions WHERE id = $1 FOR UPDATE`, p.ID).
		Scan(&state, &reason, &holder)
	if err != nil {
		return notFound(err)
	}
	if err := store.CheckLease(owner, holder); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE promotions SET state = $1, reason = $2, commit_sha = $3, noop = $4,
		attempts = $5, next_attempt_at = $6, lease_owner = $7, lease_until = $8, updated_at = $9,
		pr_number = $10, pr_url = $11, pr_branch = $12, merge_sha = $13, merged_by = $14, approvers = $15
		WHERE id = $16`,
		string(p.State), p.Reason, p.CommitSHA, p.Noop, p.Attempts, ts(p.NextAttemptAt),
		p.LeaseOwner, ts(p.LeaseUntil), ts(p.UpdatedAt),
		p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, approversArray(p.Approvers), p.ID)
	if err != nil {
		return err
	}
	if tr, ok := store.NextTransition(promotion.State(state), reason, p); ok {
		return insertTransition(ctx, tx, tr)
	}
	return nil
}
