package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// CreatePromotion stores p. A zero CreatedAt is set to now and a zero
// UpdatedAt to CreatedAt. An existing ID is derrors.ErrConflict and an
// unknown ReleaseID derrors.ErrNotFound (both wrapped).
func (s *SQL) CreatePromotion(ctx context.Context, p promotion.Promotion) error {
	p, err := PreparePromotion(p, time.Now())
	if err == nil {
		err = s.write(ctx, func(tx Conn) error { return s.insertPromotion(ctx, tx, p) })
	}
	if err != nil {
		return fmt.Errorf("creating promotion %q: %w", p.ID, err)
	}
	return nil
}

// insertPromotion stores p (prepared) and its first transition.
func (s *SQL) insertPromotion(ctx context.Context, tx Conn, p promotion.Promotion) error {
	if _, err := tx.Exec(ctx, s.q.insertPromotion, s.promotionArgs(p)...); err != nil {
		return err
	}
	if err := s.markRestores(ctx, tx, p); err != nil {
		return err
	}
	if err := s.insertTransition(ctx, tx, FirstTransition(p)); err != nil {
		return err
	}
	return s.insertEvent(ctx, tx, p, p.CreatedAt)
}

func (s *SQL) insertTransition(ctx context.Context, tx Conn, tr promotion.Transition) error {
	if _, err := tx.Exec(ctx, s.q.insertTransition, s.transitionArgs(tr)...); err != nil {
		return fmt.Errorf("recording transition of promotion %q: %w", tr.PromotionID, err)
	}
	return nil
}

// GetPromotion returns the promotion with id.
func (s *SQL) GetPromotion(ctx context.Context, id string) (promotion.Promotion, error) {
	p, err := s.ScanPromotion(s.read.QueryRow(ctx, s.q.promotion, id))
	if err != nil {
		return promotion.Promotion{}, fmt.Errorf("getting promotion %q: %w", id, err)
	}
	return p, nil
}

// ListPromotions returns a page of promotions, newest first.
func (s *SQL) ListPromotions(ctx context.Context, f promotion.PromotionFilter) (promotion.Page[promotion.Promotion], error) {
	if err := CheckPromotionFilter(f); err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	limit, c, err := PageArgs(f.Limit, f.Cursor)
	if err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	q, args := s.ListPromotionsQuery(f, limit, c)
	ps, err := List(ctx, s.read, q, args, s.scanPromotion)
	if err != nil {
		return promotion.Page[promotion.Promotion]{}, fmt.Errorf("listing promotions: %w", err)
	}
	return PageOf(ps, limit, func(p promotion.Promotion) Cursor {
		return Cursor{CreatedAt: p.CreatedAt, ID: p.ID}
	}), nil
}

// scanPromotion is ScanPromotion with no extra columns, for List.
func (s *SQL) scanPromotion(row Row) (promotion.Promotion, error) { return s.ScanPromotion(row) }

// UpdatePromotion writes p's mutable fields if the stored row is leased by
// owner, or owner is "". A zero UpdatedAt is set to now. When State or
// Reason changes, it records a transition in the same transaction.
//
// Concurrent calls are group-committed (see Group), with each other and
// with reports: the worker records a batch's outcomes at once, so a batch
// of hundreds of promotions costs a few fsyncs, not one each. Each call
// returns only once its write is committed.
func (s *SQL) UpdatePromotion(ctx context.Context, owner string, p promotion.Promotion) error {
	p, err := PrepareUpdate(p, time.Now())
	if err == nil {
		err = s.group.Write(ctx, func(tx Conn) error { return s.updatePromotion(ctx, tx, owner, p) })
	}
	if err != nil {
		return fmt.Errorf("updating promotion %q: %w", p.ID, err)
	}
	return nil
}

// updatePromotion writes p (prepared) and its transition, if any. The row
// read is the row written: locked from the lease check to the commit (a
// concurrent claim skips it, and a claim that committed first is the row
// read), or, without row locks, read in a transaction that already holds
// the write lock.
func (s *SQL) updatePromotion(ctx context.Context, tx Conn, owner string, p promotion.Promotion) error {
	var state, reason, holder string
	var approvers listColumn
	var approvals string
	var next, until timeColumn
	if err := tx.QueryRow(ctx, s.q.promotionForWrite, p.ID).Scan(&state, &reason, &holder, approvers.dest(s.d), &approvals,
		next.dest(s.d), until.dest(s.d)); err != nil {
		return err
	}
	had, err := approvers.value(s.d)
	if err != nil {
		return err
	}
	hadApprovals, err := DecodeApprovals(approvals)
	if err != nil {
		return err
	}
	if err := CheckLease(owner, holder); err != nil {
		return err
	}
	p = KeepWake(p, owner, next.value(s.d), until.value(s.d))
	d := s.d
	_, err = tx.Exec(ctx, s.q.updatePromotion,
		string(p.State), p.Reason, p.CommitSHA, p.Noop, p.Attempts, d.time(p.NextAttemptAt),
		p.LeaseOwner, d.time(p.LeaseUntil), d.time(p.UpdatedAt),
		p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, d.list(p.Approvers), p.Diff, EncodeApprovals(p.Approvals), p.ID)
	if err != nil {
		return err
	}
	if err := s.markRestores(ctx, tx, p); err != nil {
		return err
	}
	if tr, ok := NextTransition(promotion.State(state), reason, p); ok {
		if err := s.insertTransition(ctx, tx, tr); err != nil {
			return err
		}
	}
	if tr, ok := ApprovalsTransition(hadApprovals, p); ok {
		if err := s.insertTransition(ctx, tx, tr); err != nil {
			return err
		}
	}
	return s.promotionEvents(ctx, tx, promotion.State(state), reason, had, p)
}
