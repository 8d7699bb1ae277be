package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err = s.write(ctx, func(tx pgx.Tx) error {
		added = 0
		tag, err := tx.Exec(ctx, `INSERT INTO releases (`+releaseColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT DO NOTHING`, releaseArgs(r)...)
		if err != nil {
			return constraint(err)
		}
		added += int(tag.RowsAffected())
		// The release the promotions refer to: r, or the stored one of r's image.
		var stored string
		if err := tx.QueryRow(ctx, `SELECT id FROM releases WHERE id = $1
			UNION ALL SELECT id FROM releases WHERE application = $2 AND tag = $3 AND digest = $4
			LIMIT 1`, r.ID, r.Application, r.Tag, r.Digest).Scan(&stored); err != nil {
			return fmt.Errorf("finding the stored release: %w", err)
		}
		for _, p := range ps {
			if p.ReleaseID == r.ID {
				p.ReleaseID = stored
			}
			tag, err := tx.Exec(ctx, `INSERT INTO promotions (`+promotionColumns+`)
				VALUES (`+promotionPlaceholders+`) ON CONFLICT (id) DO NOTHING`, promotionArgs(p)...)
			if err != nil {
				return fmt.Errorf("importing promotion %q: %w", p.ID, constraint(err))
			}
			if tag.RowsAffected() == 0 {
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
