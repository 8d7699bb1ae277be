package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

var _ store.Importer = (*Store)(nil)

// ImportRelease adds r and ps where they are missing; see store.Importer.
func (s *Store) ImportRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (int, error) {
	r, ps, err := store.PrepareImport(r, ps, time.Now())
	if err != nil {
		return 0, fmt.Errorf("importing release %q: %w", r.ID, err)
	}
	added := 0
	err = s.write(ctx, func(tx *sql.Tx) error {
		added = 0
		res, err := tx.ExecContext(ctx, `INSERT INTO releases (`+releaseColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, releaseArgs(r)...)
		if err != nil {
			return constraint(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		added += int(n)
		// The release the promotions refer to: r, or the stored one of r's image.
		var stored string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM releases WHERE id = ?
			UNION ALL SELECT id FROM releases WHERE application = ? AND tag = ? AND digest = ?
			LIMIT 1`, r.ID, r.Application, r.Tag, r.Digest).Scan(&stored); err != nil {
			return fmt.Errorf("finding the stored release: %w", err)
		}
		for _, p := range ps {
			if p.ReleaseID == r.ID {
				p.ReleaseID = stored
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO promotions (`+promotionColumns+`)
				VALUES (`+promotionPlaceholders+`) ON CONFLICT (id) DO NOTHING`, promotionArgs(p)...)
			if err != nil {
				return fmt.Errorf("importing promotion %q: %w", p.ID, constraint(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			added++
			if err := insertTransition(ctx, tx, store.FirstTransition(p)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("importing release %q: %w", r.ID, err)
	}
	return added, nil
}
