package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// claimQuery leases the due promotions, oldest first ($1 now, $2 limit,
// $3 owner, $4 lease end), and returns each with whether it was reclaimed:
// its lease owner before the claim, read under the row lock the claim
// holds, was not empty. The partial index promotions_due holds only the
// pending, waiting and pr-open rows, in that order. The next attempt is
// the lease's end until the holder saves (store.KeepWake tells a Wake
// meanwhile by it).
var claimQuery = `WITH due AS (
		SELECT id, lease_owner AS prev FROM promotions
		WHERE ` + store.ActiveStatesSQL + ` AND next_attempt_at <= $1 AND (lease_owner = '' OR lease_until <= $1)
		ORDER BY created_at, id
		LIMIT $2
		FOR UPDATE SKIP LOCKED
	)
	UPDATE promotions p SET lease_owner = $3, lease_until = $4, next_attempt_at = $4
	FROM due WHERE p.id = due.id
	RETURNING ` + prefixed("p.", store.PromotionColumns) + `, due.prev IS NOT NULL AND due.prev <> ''`

// ClaimDue leases up to limit due promotions to owner, oldest first.
// FOR UPDATE SKIP LOCKED lets replicas claim at the same time: each locks
// rows the others have not, and a row another claim just leased fails the
// WHERE clause when rechecked after that claim commits.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]promotion.Promotion, error) {
	if err := store.CheckClaim(owner, lease, limit); err != nil {
		return nil, fmt.Errorf("claiming promotions: %w", err)
	}
	if limit == 0 {
		return []promotion.Promotion{}, nil
	}
	now = ts(now)
	until := ts(now.Add(lease))
	ps, err := store.List(ctx, conn{s.pool.Pool}, claimQuery, []any{now, limit, owner, until}, s.scanClaimed)
	if err != nil {
		return nil, fmt.Errorf("claiming promotions for %q: %w", owner, err)
	}
	// RETURNING has no order.
	slices.SortFunc(ps, func(a, b promotion.Promotion) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ps, nil
}

// scanClaimed scans a row of claimQuery: a promotion and its Reclaimed.
func (s *Store) scanClaimed(row store.Row) (promotion.Promotion, error) {
	var reclaimed bool
	p, err := s.ScanPromotion(row, &reclaimed)
	p.Reclaimed = reclaimed
	return p, err
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
