package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// CompletePromotion writes p as UpdatePromotion does and stores next, with
// the transitions of all of them, in one transaction: if any part fails
// (a lease held by another owner, an id taken), nothing is written.
func (s *SQL) CompletePromotion(ctx context.Context, owner string, p promotion.Promotion, next []promotion.Promotion) error {
	p, prepared, err := PrepareComplete(p, next, time.Now())
	if err != nil {
		return fmt.Errorf("completing promotion %q: %w", p.ID, err)
	}
	// Group-committed, as UpdatePromotion.
	err = s.group.Write(ctx, func(tx Conn) error {
		if err := s.updatePromotion(ctx, tx, owner, p); err != nil {
			return err
		}
		for _, n := range prepared {
			if err := s.insertPromotion(ctx, tx, n); err != nil {
				return fmt.Errorf("creating promotion %q: %w", n.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("completing promotion %q: %w", p.ID, err)
	}
	return nil
}

// Wake sets the NextAttemptAt of promotion id to at if it is pending,
// waiting or pr-open, whoever holds its lease; in another state it does
// nothing. It records no transition and leaves UpdatedAt alone. A wake
// while a worker holds the promotion is not lost to that worker's save
// (see KeepWake).
func (s *SQL) Wake(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx Conn) error {
		n, err := tx.Exec(ctx, s.q.wake, s.d.time(at), id)
		if err != nil || n > 0 {
			return err
		}
		return s.exists(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("waking promotion %q: %w", id, err)
	}
	return nil
}

// Transitions returns the transitions of promotion id, oldest first, those
// recorded at the same time in the order they were recorded. An unknown id
// is derrors.ErrNotFound; a promotion stored before the store kept history
// has none.
func (s *SQL) Transitions(ctx context.Context, id string) ([]promotion.Transition, error) {
	trs, err := List(ctx, s.read, s.q.transitions, []any{id}, s.scanTransition)
	if err == nil && len(trs) == 0 {
		err = s.exists(ctx, s.read, id)
	}
	if err != nil {
		return nil, fmt.Errorf("listing transitions of promotion %q: %w", id, err)
	}
	return trs, nil
}

// exists returns nil if promotion id exists, else derrors.ErrNotFound.
func (s *SQL) exists(ctx context.Context, db Conn, id string) error {
	var one int
	return db.QueryRow(ctx, s.q.promotionExists, id).Scan(&one)
}
