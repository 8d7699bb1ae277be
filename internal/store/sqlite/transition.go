package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// activeStates is store.ActiveStates as SQL, word for word the predicate of
// the partial index promotions_due (migration 0002).
const activeStates = `state IN ('pending', 'waiting', 'pr-open')`

// CompletePromotion writes p as UpdatePromotion does and stores next, with
// the transitions of all of them, in one transaction: if any part fails
// (a lease held by another owner, an id taken), nothing is written.
func (s *Store) CompletePromotion(ctx context.Context, owner string, p promotion.Promotion, next []promotion.Promotion) error {
	p, prepared, err := store.PrepareComplete(p, next, time.Now())
	if err != nil {
		return fmt.Errorf("completing promotion %q: %w", p.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := updatePromotion(ctx, tx, owner, p); err != nil {
			return err
		}
		for _, n := range prepared {
			if err := insertPromotion(ctx, tx, n); err != nil {
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
// nothing. It records no transition and leaves UpdatedAt alone.
func (s *Store) Wake(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promotions SET next_attempt_at = ? WHERE id = ? AND `+activeStates,
			micros(store.Time(at)), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return exists(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("waking promotion %q: %w", id, err)
	}
	return nil
}

// transitionsQuery reads one promotion's history, oldest first, in the
// order of the index promotion_transitions_promotion.
const transitionsQuery = `SELECT ` + transitionColumns + ` FROM promotion_transitions
	WHERE promotion_id = ? ORDER BY at, seq`

// Transitions returns the transitions of promotion id, oldest first, those
// recorded at the same time in the order they were recorded. An unknown id
// is derrors.ErrNotFound; a promotion stored before the store kept history
// has none.
func (s *Store) Transitions(ctx context.Context, id string) ([]promotion.Transition, error) {
	trs, err := list(ctx, s.r, transitionsQuery, []any{id}, scanTransition)
	if err == nil && len(trs) == 0 {
		err = exists(ctx, s.r, id)
	}
	if err != nil {
		return nil, fmt.Errorf("listing transitions of promotion %q: %w", id, err)
	}
	return trs, nil
}

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// exists returns nil if promotion id exists, else derrors.ErrNotFound.
func exists(ctx context.Context, db queryRower, id string) error {
	var one int
	if err := db.QueryRowContext(ctx, `SELECT 1 FROM promotions WHERE id = ?`, id).Scan(&one); err != nil {
		return notFound(err)
	}
	return nil
}
