package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// PinColumns are the columns of pins, in the order of pinArgs and scanPin.
const PinColumns = `id, application, environment, release_id, release_tag, promotion_id, pinned_by, reason,
	created_at, active, ended_at, ended_by, end_reason`

// CreatePin stores p as the active pin of its application and environment,
// ending the one active before, and promote (if not nil) with its first
// transition, in one transaction.
func (s *SQL) CreatePin(ctx context.Context, p promotion.Pin, promote *promotion.Promotion) error {
	var prepared promotion.Promotion
	if promote != nil {
		var err error
		if prepared, err = PreparePromotion(*promote, time.Now()); err != nil {
			return fmt.Errorf("creating promotion %q: %w", promote.ID, err)
		}
	}
	p = preparePin(p, time.Now())
	err := s.write(ctx, func(tx Conn) error {
		if promote != nil {
			if err := s.insertPromotion(ctx, tx, prepared); err != nil {
				return fmt.Errorf("creating promotion %q: %w", prepared.ID, err)
			}
		}
		return s.insertPin(ctx, tx, p)
	})
	if err != nil {
		return fmt.Errorf("pinning %s in %s: %w", p.Application, p.Environment, err)
	}
	return nil
}

// preparePin returns p as it is stored: active, a zero CreatedAt set to
// now, times through Time.
func preparePin(p promotion.Pin, now time.Time) promotion.Pin {
	p.Active, p.EndedAt, p.EndedBy, p.EndReason = true, time.Time{}, "", ""
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.CreatedAt = Time(p.CreatedAt)
	return p
}

// insertPin ends the active pin of p's application and environment and
// stores p (as preparePin returns it) in its place.
func (s *SQL) insertPin(ctx context.Context, tx Conn, p promotion.Pin) error {
	if _, err := tx.Exec(ctx, s.d.rebind(`UPDATE pins SET active = ?, ended_at = ?, ended_by = ?, end_reason = ?
		WHERE application = ? AND environment = ? AND active`),
		false, s.d.time(p.CreatedAt), p.PinnedBy, "replaced by pin "+p.ID, p.Application, p.Environment); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, s.d.rebind(`INSERT INTO pins (`+PinColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), s.pinArgs(p)...)
	return err
}

// ActivePin returns the active pin of app in env, or derrors.ErrNotFound.
func (s *SQL) ActivePin(ctx context.Context, app, env string) (promotion.Pin, error) {
	p, err := s.scanPin(s.read.QueryRow(ctx, s.d.rebind(`SELECT `+PinColumns+` FROM pins
		WHERE application = ? AND environment = ? AND active`), app, env))
	if err != nil {
		return promotion.Pin{}, fmt.Errorf("reading the pin of %s in %s: %w", app, env, err)
	}
	return p, nil
}

// EndPin ends the active pin of app in env and returns it as ended, or
// derrors.ErrNotFound when none is active.
func (s *SQL) EndPin(ctx context.Context, app, env, by, why string, at time.Time) (promotion.Pin, error) {
	var p promotion.Pin
	err := s.write(ctx, func(tx Conn) error {
		var err error
		p, err = s.scanPin(tx.QueryRow(ctx, s.d.rebind(`SELECT `+PinColumns+` FROM pins
			WHERE application = ? AND environment = ? AND active`+s.d.forUpdate()), app, env))
		if err != nil {
			return err
		}
		p.Active, p.EndedAt, p.EndedBy, p.EndReason = false, Time(at), by, why
		_, err = tx.Exec(ctx, s.d.rebind(`UPDATE pins SET active = ?, ended_at = ?, ended_by = ?, end_reason = ? WHERE id = ?`),
			false, s.d.time(at), by, why, p.ID)
		return err
	})
	if err != nil {
		return promotion.Pin{}, fmt.Errorf("unpinning %s in %s: %w", app, env, err)
	}
	return p, nil
}

// ListPins returns the pins f selects, newest first.
func (s *SQL) ListPins(ctx context.Context, f promotion.PinFilter) ([]promotion.Pin, error) {
	limit, err := PageLimit(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing pins: %w", err)
	}
	var where []string
	var args []any
	if f.Application != "" {
		where, args = append(where, "application = ?"), append(args, f.Application)
	}
	if f.Environment != "" {
		where, args = append(where, "environment = ?"), append(args, f.Environment)
	}
	if !f.Ended {
		where = append(where, "active")
	}
	q := `SELECT ` + PinColumns + ` FROM pins`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit)
	pins, err := List(ctx, s.read, s.d.rebind(q), args, s.scanPin)
	if err != nil {
		return nil, fmt.Errorf("listing pins: %w", err)
	}
	return pins, nil
}

func (s *SQL) pinArgs(p promotion.Pin) []any {
	d := s.d
	return []any{p.ID, p.Application, p.Environment, p.ReleaseID, p.ReleaseTag, p.PromotionID, p.PinnedBy, p.Reason,
		d.time(p.CreatedAt), p.Active, d.time(p.EndedAt), p.EndedBy, p.EndReason}
}

func (s *SQL) scanPin(row Row) (promotion.Pin, error) {
	var p promotion.Pin
	var created, ended timeColumn
	err := row.Scan(&p.ID, &p.Application, &p.Environment, &p.ReleaseID, &p.ReleaseTag, &p.PromotionID, &p.PinnedBy, &p.Reason,
		created.dest(s.d), &p.Active, ended.dest(s.d), &p.EndedBy, &p.EndReason)
	if err != nil {
		return promotion.Pin{}, err
	}
	p.CreatedAt, p.EndedAt = created.value(s.d), ended.value(s.d)
	return p, nil
}
