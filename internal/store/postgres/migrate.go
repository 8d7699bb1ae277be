package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ferryhq/ferry/internal/store"
)

// migrationFS holds the schema, one file per version. Released files are
// never edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the pg_advisory_lock key that serializes replicas
// migrating one database at the same time ("ferry" in ASCII).
const migrationLock int64 = 0x6665727279

// migrate applies, in order and each in its own transaction, the migrations
// not yet recorded in schema_migrations, holding the advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("reading migrations: %w", err)
	}
	ms, err := store.Migrations(sub)
	if err != nil {
		return err
	}
	return applyAll(ctx, pool, ms)
}

// applyAll applies those of ms not yet recorded, in order, holding the
// advisory lock. (Tests apply the first ones only, to build a database of an
// older release.)
func applyAll(ctx context.Context, pool *pgxpool.Pool, ms []store.Migration) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquiring connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("taking migration lock: %w", err)
	}
	defer func() {
		// On a fresh context: the lock must go even if ctx ended.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			// A session lock we cannot release would block every other
			// replica's start: drop the connection, and the lock with it.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
				m.Version).Scan(&applied); err != nil {
				return fmt.Errorf("checking: %w", err)
			}
			if applied {
				return nil
			}
			// No arguments: the simple protocol runs a multi-statement file.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("applying: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
				m.Version, m.Name); err != nil {
				return fmt.Errorf("recording: %w", err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}
