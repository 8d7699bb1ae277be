package postgres

import (
	"context"
	"io/fs"

	"github.com/ferryhq/ferry/internal/store"
)

// AppliedMigrations counts the rows of schema_migrations.
func AppliedMigrations(ctx context.Context, s *Store) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	return n, err
}

// MigrationCount counts the embedded migrations.
func MigrationCount() int {
	sub, _ := fs.Sub(migrationFS, "migrations")
	ms, _ := store.Migrations(sub)
	return len(ms)
}
