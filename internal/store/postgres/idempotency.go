package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

const idemColumns = `scope, key, request_hash, status, body, created_at, completed, owner, lease_until`

func scanIdem(s pgx.Row) (store.IdemRecord, error) {
	var rec store.IdemRecord
	err := s.Scan(&rec.Scope, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &rec.CreatedAt, &rec.Completed, &rec.Owner, &rec.LeaseUntil)
	rec.CreatedAt, rec.LeaseUntil = fromTS(rec.CreatedAt), fromTS(rec.LeaseUntil)
	return rec, err
}

// PutIdempotency stores an in-flight record, or returns the existing one
// with created=false.
func (s *Store) PutIdempotency(ctx context.Context, rec store.IdemRecord) (store.IdemRecord, bool, error) {
	rec = store.PrepareIdem(rec, time.Now())
	var existing store.IdemRecord
	created := false
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, created_at, owner, lease_until)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING`,
			rec.Scope, rec.Key, rec.RequestHash, rec.CreatedAt, rec.Owner, rec.LeaseUntil)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			existing, created = rec, true
			return nil
		}
		existing, err = scanIdem(tx.QueryRow(ctx, `SELECT `+idemColumns+` FROM idempotency_keys
			WHERE scope = $1 AND key = $2`, rec.Scope, rec.Key))
		return err
	})
	if err != nil {
		return store.IdemRecord{}, false, fmt.Errorf("putting idempotency key %q: %w", rec.Key, err)
	}
	return existing, created, nil
}

// RenewIdempotency moves the lease of owner's in-flight record to until.
func (s *Store) RenewIdempotency(ctx context.Context, scope, key, owner string, until time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET lease_until = $1
		WHERE scope = $2 AND key = $3 AND owner = $4 AND NOT completed`, ts(until), scope, key, owner)
	switch {
	case err != nil:
		return fmt.Errorf("renewing idempotency key %q: %w", key, err)
	case tag.RowsAffected() == 0:
		return fmt.Errorf("renewing idempotency key %q: no in-flight record held by %q: %w", key, owner, derrors.ErrNotFound)
	}
	return nil
}

// CompleteIdempotency records the answer of an in-flight record.
func (s *Store) CompleteIdempotency(ctx context.Context, scope, key string, status int, body []byte) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE idempotency_keys SET status = $1, body = $2, completed = true
			WHERE scope = $3 AND key = $4 AND NOT completed`, status, body, scope, key)
		if err != nil || tag.RowsAffected() > 0 {
			return err
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2`, scope, key).Scan(&one); err != nil {
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ts(t))
	if err != nil {
		return 0, fmt.Errorf("deleting idempotency keys before %s: %w", t.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
