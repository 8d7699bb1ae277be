package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// claimQuery selects the due promotions, oldest first: the partial index
// promotions_due yields the pending, waiting and pr-open rows in that order,
// and the scan stops after limit due ones. Without statistics SQLite would
// rather look the three states up in promotions_state_created and sort all
// their rows; INDEXED BY holds it to the partial index (and fails loudly if
// the index and store.ActiveStatesSQL ever part).
const claimQuery = `SELECT ` + store.PromotionColumns + ` FROM promotions INDEXED BY promotions_due
	WHERE ` + store.ActiveStatesSQL + ` AND next_attempt_at <= ? AND (lease_owner = '' OR lease_until <= ?)
	ORDER BY created_at, id LIMIT ?`

// ClaimDue leases up to limit due promotions to owner, oldest first. Claims
// are serialized by the single writer connection, so two claimers never get
// the same promotion, and the lease owners read to set Reclaimed are those
// the claim replaces.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]promotion.Promotion, error) {
	if err := store.CheckClaim(owner, lease, limit); err != nil {
		return nil, fmt.Errorf("claiming promotions: %w", err)
	}
	if limit == 0 {
		return []promotion.Promotion{}, nil
	}
	now = store.Time(now)
	until := store.Time(now.Add(lease))
	var ps []promotion.Promotion
	err := s.writeConn(ctx, func(tx store.Conn) error {
		var err error
		ps, err = store.List(ctx, tx, claimQuery, []any{micros(now), micros(now), limit}, s.scanPromotion)
		if err != nil {
			return err
		}
		for i := range ps {
			// The next attempt is the lease's end until the holder
			// saves (store.KeepWake tells a Wake meanwhile by it).
			if _, err := tx.Exec(ctx, `UPDATE promotions SET lease_owner = ?, lease_until = ?, next_attempt_at = ? WHERE id = ?`,
				owner, micros(until), micros(until), ps[i].ID); err != nil {
				return err
			}
			// The lease owner read in this transaction: a row leased
			// before and never released was reclaimed.
			ps[i].Reclaimed = ps[i].LeaseOwner != ""
			ps[i].LeaseOwner, ps[i].LeaseUntil, ps[i].NextAttemptAt = owner, until, until
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming promotions for %q: %w", owner, err)
	}
	return ps, nil
}

// scanPromotion reads a row of store.PromotionColumns.
func (s *Store) scanPromotion(row store.Row) (promotion.Promotion, error) {
	return s.ScanPromotion(row)
}
