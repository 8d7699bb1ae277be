package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// PrepareImport checks r and ps for Importer.ImportRelease and returns them
// as they will be stored (see PrepareRelease and PreparePromotion); a
// promotion with no ReleaseID or Application gets r's.
func PrepareImport(r promotion.Release, ps []promotion.Promotion, now time.Time) (promotion.Release, []promotion.Promotion, error) {
	r, err := PrepareRelease(r, now)
	if err != nil {
		return r, nil, err
	}
	out := make([]promotion.Promotion, 0, len(ps))
	for _, p := range ps {
		p, err := PreparePromotion(ofRelease(p, r), now)
		if err != nil {
			return r, nil, err
		}
		out = append(out, p)
	}
	return r, out, nil
}

// ImportRelease adds r and ps where they are missing; see Importer.
func (s *SQL) ImportRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (int, error) {
	r, ps, err := PrepareImport(r, ps, time.Now())
	if err != nil {
		return 0, fmt.Errorf("importing release %q: %w", r.ID, err)
	}
	added := 0
	err = s.write(ctx, func(tx Conn) error {
		n, err := tx.Exec(ctx, s.q.importRelease, s.releaseArgs(r)...)
		if err != nil {
			return err
		}
		added = int(n)
		var stored string
		if err := tx.QueryRow(ctx, s.q.storedRelease, r.ID, r.Application, r.Tag, r.Digest).Scan(&stored); err != nil {
			return fmt.Errorf("finding the stored release: %w", err)
		}
		for _, p := range ps {
			if p.ReleaseID == r.ID {
				p.ReleaseID = stored
			}
			n, err := tx.Exec(ctx, s.q.importPromotion, s.promotionArgs(p)...)
			if err != nil {
				return fmt.Errorf("importing promotion %q: %w", p.ID, err)
			}
			if n == 0 {
				continue
			}
			added++
			if err := s.markRestores(ctx, tx, p); err != nil {
				return err
			}
			if err := s.insertTransition(ctx, tx, FirstTransition(p)); err != nil {
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
