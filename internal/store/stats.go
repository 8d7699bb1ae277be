package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// PromotionStats is what an operator's gauges show of the promotions: how
// many there are by state and environment, the queue of due work, and how
// long the active ones have been in their state.
type PromotionStats struct {
	Counts []StateCount
	// Due is how many active promotions are due and not leased: the queue.
	Due int
	// OldestDueSince is when the head of the queue (the next to be
	// claimed) became due; zero when the queue is empty.
	OldestDueSince time.Time
	// InStateSince is, per active state, when the promotion longest in it
	// entered it.
	InStateSince map[promotion.State]time.Time
}

// StateCount is how many promotions into one environment are in one state.
type StateCount struct {
	State       promotion.State
	Environment string
	Count       int
}

const (
	countsQuery = `SELECT state, environment, COUNT(*) FROM promotions GROUP BY state, environment`
	dueWhere    = ActiveStatesSQL + ` AND next_attempt_at <= ? AND (lease_owner = '' OR lease_until <= ?)`
	dueCount    = `SELECT COUNT(*) FROM promotions WHERE ` + dueWhere
	// dueHead is the next promotion ClaimDue would take, in its order.
	dueHead = `SELECT created_at, next_attempt_at FROM promotions WHERE ` + dueWhere + ` ORDER BY created_at, id LIMIT 1`
	// inState takes, per active promotion, the first transition into its
	// current state (a promotion imported without history: its update).
	inState = `SELECT p.state, MIN(COALESCE((SELECT MIN(t.at) FROM promotion_transitions t
		WHERE t.promotion_id = p.id AND t.state = p.state), p.updated_at))
		FROM promotions p WHERE p.` + ActiveStatesSQL + ` GROUP BY p.state`
)

// PromotionStats reads the promotion gauges as of now. The counts scan the
// promotions table, so callers cache them between scrapes.
func (s *SQL) PromotionStats(ctx context.Context, now time.Time) (PromotionStats, error) {
	var st PromotionStats
	r := s.d.rebind
	nowArg := s.d.time(Time(now))
	counts, err := List(ctx, s.read, countsQuery, nil, func(row Row) (StateCount, error) {
		var c StateCount
		err := row.Scan(&c.State, &c.Environment, &c.Count)
		return c, err
	})
	if err != nil {
		return st, fmt.Errorf("counting promotions: %w", err)
	}
	st.Counts = counts
	if err := s.read.QueryRow(ctx, r(dueCount), nowArg, nowArg).Scan(&st.Due); err != nil {
		return st, fmt.Errorf("counting due promotions: %w", err)
	}
	if st.Due > 0 {
		var created, next timeColumn
		if err := s.read.QueryRow(ctx, r(dueHead), nowArg, nowArg).Scan(created.dest(s.d), next.dest(s.d)); err != nil {
			return st, fmt.Errorf("reading the head of the queue: %w", err)
		}
		st.OldestDueSince = created.value(s.d)
		if n := next.value(s.d); n.After(st.OldestDueSince) {
			st.OldestDueSince = n
		}
	}
	st.InStateSince = map[promotion.State]time.Time{}
	type since struct {
		state promotion.State
		at    time.Time
	}
	rows, err := List(ctx, s.read, inState, nil, func(row Row) (since, error) {
		var v since
		var at timeColumn
		err := row.Scan(&v.state, at.dest(s.d))
		v.at = at.value(s.d)
		return v, err
	})
	if err != nil {
		return st, fmt.Errorf("reading time in state: %w", err)
	}
	for _, v := range rows {
		st.InStateSince[v.state] = v.at
	}
	return st, nil
}
