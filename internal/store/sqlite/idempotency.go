package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

const idemColumns = `scope, key, request_hash, status, body, created_at, completed, owner, lease_until`

func scanIdem(s scanner) (store.IdemRecord, error) {
	var rec store.IdemRecord
	var created, lease int64
	err := s.Scan(&rec.Scope, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &created, &rec.Completed, &rec.Owner, &lease)
	rec.CreatedAt, rec.LeaseUntil = fromMicros(created), fromMicros(lease)
	return rec, err
}

// PutIdempotency stores an in-flight record, or returns the existing one
// with created=false.
func (s *Store) PutIdempotency(ctx context.Context, rec store.IdemRecord) (store.IdemRecord, bool, error) {
	rec = store.PrepareIdem(rec, time.Now())
	var existing store.IdemRecord
	created := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, created_at, owner, lease_until)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING`,
			rec.Scope, rec.Key, rec.RequestHash, micros(rec.CreatedAt), rec.Owner, micros(rec.LeaseUntil))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			existing, created = rec, true
			return nil
		}
		existing, err = scanIdem(tx.QueryRowContext(ctx, `SELECT `+idemColumns+` FROM idempotency_keys
			WHERE scope = ? AND key = ?`, rec.Scope, rec.Key))
		return err
	})
	if err != nil {
		return store.IdemRecord{}, false, fmt.Errorf("putting idempotency key %q: %w", rec.Key, err)
	}
	return existing, created, nil
}

// RenewIdempotency moves the lease of owner's in-flight record to until.
func (s *Store) RenewIdempotency(ctx context.Context, scope, key, owner string, until time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET lease_until = ?
			WHERE scope = ? AND key = ? AND owner = ? AND completed = 0`, micros(store.Time(until)), scope, key, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return fmt.Errorf("no in-flight record held by %q: %w", owner, derrors.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("renewing idempotency key %q: %w", key, err)
	}
	return nil
}

// CompleteIdempotency records the answer of an in-flight record.
func (s *Store) CompleteIdempotency(ctx context.Context, scope, key string, status int, body []byte) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ?, completed = 1
			WHERE scope = ? AND key = ? AND completed = 0`, status, body, scope, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).Scan(&one)
		if err != nil {
			return notFound(err)
		}
		return fmt.Errorf("already completed: %w", derrors.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("completing idempotency key %q: %w", key, err)
	}
	return nil
}

// DeleteIdempotencyBefore deletes the records created before t.
func (s *Store) DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micros(store.Time(t)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting idempotency keys before %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}
