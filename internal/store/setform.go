package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// CompleteFormingSet completes p as CompletePromotion does (with no
// promotions of its own to start) and, in the same transaction, forms
// f.Set when every member of the set has a release completed in f.Entry
// and no set release of the set names those releases. On PostgreSQL the
// transaction first takes a lock on the set's name, so that formations of
// one set run one after the other and each sees the completions committed
// before it; SQLite's transactions are serialized already.
func (s *SQL) CompleteFormingSet(ctx context.Context, owner string, p promotion.Promotion, f promotion.SetFormation) (promotion.SetRelease, bool, error) {
	now := time.Now()
	p, _, err := PrepareComplete(p, nil, now)
	if err != nil {
		return promotion.SetRelease{}, false, fmt.Errorf("completing promotion %q: %w", p.ID, err)
	}
	sr := f.Set
	if sr.ID == "" || sr.Name == "" || len(sr.Applications) == 0 || f.Entry == "" {
		return promotion.SetRelease{}, false, derrors.New(derrors.Invalid, "invalid_set_release",
			"forming set release %q needs an id, a name, members and an entry environment", sr.ID)
	}
	sr = prepareSetRelease(sr, now)
	var formed bool
	err = s.write(ctx, func(tx Conn) error {
		formed = false
		if q := s.d.lockKey(); q != "" {
			if _, err := tx.Exec(ctx, s.d.rebind(q), "ferry release set "+sr.Name); err != nil {
				return fmt.Errorf("locking set %s: %w", sr.Name, err)
			}
		}
		if err := s.updatePromotion(ctx, tx, owner, p); err != nil {
			return err
		}
		rels, ok, err := s.completedMembers(ctx, tx, sr.Applications, f.Entry, p)
		if err != nil || !ok {
			return err
		}
		sr.Releases = rels
		var same string
		err = tx.QueryRow(ctx, s.d.rebind(`SELECT id FROM release_sets WHERE name = ? AND releases = ? LIMIT 1`),
			sr.Name, s.d.list(rels)).Scan(&same)
		switch {
		case err == nil:
			return nil // formed (or reported) before: the set moves on as that one
		case !errors.Is(err, derrors.ErrNotFound):
			return err
		}
		if err := s.insertSetRelease(ctx, tx, sr); err != nil {
			return err
		}
		for _, n := range f.Next {
			n.SetRelease = sr.ID
			n.ReleaseID, _ = sr.ReleaseOf(n.Application)
			n, err := PreparePromotion(n, now)
			if err != nil {
				return err
			}
			if err := s.insertPromotion(ctx, tx, n); err != nil {
				return fmt.Errorf("creating promotion %q: %w", n.ID, err)
			}
		}
		formed = true
		return nil
	})
	if err != nil {
		return promotion.SetRelease{}, false, fmt.Errorf("completing promotion %q of set %s: %w", p.ID, sr.Name, err)
	}
	if !formed {
		return promotion.SetRelease{}, false, nil
	}
	return sr, true, nil
}

// completedMembers returns each member's newest release completed in env,
// in the members' order (p's own release for p's application), and false
// when a member has none.
func (s *SQL) completedMembers(ctx context.Context, tx Conn, apps []string, env string, p promotion.Promotion) ([]string, bool, error) {
	rels := make([]string, len(apps))
	for i, app := range apps {
		if app == p.Application {
			rels[i] = p.ReleaseID
			continue
		}
		err := tx.QueryRow(ctx, s.d.rebind(`SELECT release_id FROM promotions
			WHERE application = ? AND environment = ? AND state IN ('committed', 'merged')
			ORDER BY updated_at DESC, id DESC LIMIT 1`), app, env).Scan(&rels[i])
		if errors.Is(err, derrors.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading %s's release completed in %s: %w", app, env, err)
		}
	}
	return rels, true, nil
}
