package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// Delivery is one event on its way to one destination.
type Delivery struct {
	ID            string
	Event         Event
	Destination   string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Outcome is how one attempt at a delivery ended.
type Outcome struct {
	// State is DeliveryDelivered, DeliveryPending (try again at
	// NextAttemptAt) or DeliveryDead (given up).
	State         string
	NextAttemptAt time.Time
	// Error says why the attempt failed; never a secret (the sender
	// writes what the destination answered, not the URL).
	Error string
	// Attempts, when positive, replaces the attempts counted so far: the
	// sender gives up on a delivery claimed once more than its limit (the
	// claim before was cut short by a stop) without sending it, and
	// records the attempts it was allowed, not the claims.
	Attempts int
}

// DeliveryFilter narrows ListDeliveries.
type DeliveryFilter struct {
	State string // "" for any
	Limit int
}

const deliveryColumns = `d.id, e.id, COALESCE(e.promotion_id, ''), e.application, e.environment, e.kind, e.at, e.actor, e.reason, e.detail, d.destination, d.state,
	d.attempts, d.next_attempt_at, d.lease_owner, d.lease_until, d.last_error, d.created_at, d.updated_at`

// outboxQueries are the fixed statements of events and deliveries.
type outboxQueries struct {
	insertEvent, newEvents, dispatchEvent, insertDelivery                    string
	dueDeliveries, leaseDelivery, deliveryForWrite, finishDelivery, delivery string
	redeliver                                                                string
}

func newOutboxQueries(d Dialect) outboxQueries {
	r := d.rebind
	skip := ""
	if d.RowLocks {
		// Replicas claim side by side, each taking rows the others have
		// not locked, as ClaimDue does on PostgreSQL.
		skip = " FOR UPDATE SKIP LOCKED"
	}
	return outboxQueries{
		insertEvent: r(`INSERT INTO notification_events (id, promotion_id, application, environment, kind, at, actor, reason, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		newEvents: r(`SELECT id, COALESCE(promotion_id, ''), application, environment, kind, at, actor, reason, detail FROM notification_events
			WHERE status = 'new' ORDER BY at, id LIMIT ?` + skip),
		dispatchEvent: r(`UPDATE notification_events SET status = 'dispatched' WHERE id = ?`),
		insertDelivery: r(`INSERT INTO notification_deliveries (id, event_id, destination, state, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		dueDeliveries: r(`SELECT id FROM notification_deliveries
			WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_owner = '' OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?` + skip),
		leaseDelivery:    r(`UPDATE notification_deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?`),
		deliveryForWrite: r(`SELECT state, lease_owner FROM notification_deliveries WHERE id = ?` + d.forUpdate()),
		finishDelivery: r(`UPDATE notification_deliveries SET state = ?, next_attempt_at = ?, last_error = ?,
			attempts = CASE WHEN ? > 0 THEN ? ELSE attempts END,
			lease_owner = '', lease_until = ?, updated_at = ? WHERE id = ?`),
		delivery: r(`SELECT ` + deliveryColumns + ` FROM notification_deliveries d
			JOIN notification_events e ON e.id = d.event_id WHERE d.id = ?`),
		redeliver: r(`UPDATE notification_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?,
			lease_owner = '', lease_until = ?, last_error = '', updated_at = ? WHERE id = ?`),
	}
}

// ClaimDeliveries leases up to limit due deliveries to owner, the longest
// due first, and counts the attempt each is claimed for. A delivery is held
// by one claimer at a time: on PostgreSQL with FOR UPDATE SKIP LOCKED, on
// SQLite by the single writer.
func (s *SQL) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	if err := CheckClaim(owner, lease, limit); err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	var out []Delivery
	err := s.write(ctx, func(tx Conn) error {
		nowArg := s.d.time(now)
		ids, err := List(ctx, tx, s.q.dueDeliveries, []any{nowArg, nowArg, limit}, func(row Row) (string, error) {
			var id string
			return id, row.Scan(&id)
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, s.q.leaseDelivery, owner, s.d.time(now.Add(lease)), id); err != nil {
				return err
			}
			d, err := s.scanDelivery(tx.QueryRow(ctx, s.q.delivery, id))
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries for %q: %w", owner, err)
	}
	return out, nil
}

// FinishDelivery records how the attempt at delivery id held by owner
// ended and releases it. It is derrors.ErrConflict (wrapped) when owner
// no longer holds it (its lease ran out and another sender took it).
func (s *SQL) FinishDelivery(ctx context.Context, owner, id string, now time.Time, o Outcome) error {
	switch o.State {
	case DeliveryDelivered, DeliveryPending, DeliveryDead:
	default:
		return fmt.Errorf("finishing delivery %q: unknown state %q", id, o.State)
	}
	err := s.write(ctx, func(tx Conn) error {
		var state, holder string
		if err := tx.QueryRow(ctx, s.q.deliveryForWrite, id).Scan(&state, &holder); err != nil {
			return err
		}
		if holder != owner || state != DeliveryPending {
			return fmt.Errorf("delivery held by %q in state %s: %w", holder, state, derrors.ErrConflict)
		}
		_, err := tx.Exec(ctx, s.q.finishDelivery, o.State, s.d.time(o.NextAttemptAt), o.Error,
			o.Attempts, o.Attempts, s.d.time(time.Time{}), s.d.time(now), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("finishing delivery %q: %w", id, err)
	}
	return nil
}

// Redeliver sends delivery id again, with the same id, from its first
// attempt: a dead delivery after its destination is fixed, or a delivered
// one a receiver lost.
func (s *SQL) Redeliver(ctx context.Context, id string, now time.Time) (Delivery, error) {
	var d Delivery
	err := s.write(ctx, func(tx Conn) error {
		n, err := tx.Exec(ctx, s.q.redeliver, s.d.time(now), s.d.time(time.Time{}), s.d.time(now), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return derrors.ErrNotFound
		}
		d, err = s.scanDelivery(tx.QueryRow(ctx, s.q.delivery, id))
		return err
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("redelivering %q: %w", id, err)
	}
	return d, nil
}

// GetDelivery returns delivery id.
func (s *SQL) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	d, err := s.scanDelivery(s.read.QueryRow(ctx, s.q.delivery, id))
	if err != nil {
		return Delivery{}, fmt.Errorf("getting delivery %q: %w", id, err)
	}
	return d, nil
}

// ListDeliveries returns up to f.Limit (default and most 500) deliveries,
// newest first.
func (s *SQL) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q := `SELECT ` + deliveryColumns + ` FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id`
	args := []any{}
	if f.State != "" {
		q += ` WHERE d.state = ?`
		args = append(args, f.State)
	}
	q += ` ORDER BY d.created_at DESC, d.id DESC LIMIT ?`
	args = append(args, limit)
	ds, err := List(ctx, s.read, s.d.rebind(q), args, s.scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	return ds, nil
}

func (s *SQL) scanDelivery(row Row) (Delivery, error) {
	var d Delivery
	var at, next, until, created, updated timeColumn
	var detail string
	err := row.Scan(&d.ID, &d.Event.ID, &d.Event.PromotionID, &d.Event.Application, &d.Event.Environment, &d.Event.Kind, at.dest(s.d), &d.Event.Actor, &d.Event.Reason,
		&detail, &d.Destination, &d.State, &d.Attempts, next.dest(s.d), &d.LeaseOwner, until.dest(s.d), &d.LastError,
		created.dest(s.d), updated.dest(s.d))
	d.Event.At, d.NextAttemptAt, d.LeaseUntil = at.value(s.d), next.value(s.d), until.value(s.d)
	d.CreatedAt, d.UpdatedAt = created.value(s.d), updated.value(s.d)
	if err == nil {
		err = decodeDetail(detail, &d.Event.Detail)
	}
	return d, err
}
