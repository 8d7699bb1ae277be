package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// SetReleaseColumns are the columns of release_sets, in the order of
// setReleaseArgs and scanSetRelease.
const SetReleaseColumns = `id, name, applications, releases, reported_by, created_at, formed`

func (s *SQL) setReleaseArgs(r promotion.SetRelease) []any {
	return []any{r.ID, r.Name, s.d.list(r.Applications), s.d.list(r.Releases), r.ReportedBy, s.d.time(r.CreatedAt), r.Formed}
}

func (s *SQL) scanSetRelease(row Row) (promotion.SetRelease, error) {
	var r promotion.SetRelease
	var apps, rels listColumn
	var created timeColumn
	err := row.Scan(&r.ID, &r.Name, apps.dest(s.d), rels.dest(s.d), &r.ReportedBy, created.dest(s.d), &r.Formed)
	if err != nil {
		return r, err
	}
	r.CreatedAt = created.value(s.d)
	if r.Applications, err = apps.value(s.d); err != nil {
		return r, err
	}
	r.Releases, err = rels.value(s.d)
	return r, err
}

// CreateSetRelease stores a set release, its members' releases and the
// promotions ps in one transaction. A member release already stored (same
// application, tag and digest) is kept: the set release and the promotions
// that named the new one name the stored one instead.
func (s *SQL) CreateSetRelease(ctx context.Context, sr promotion.SetRelease, rels []promotion.Release, ps []promotion.Promotion) (promotion.SetRelease, error) {
	now := time.Now()
	if sr.ID == "" || sr.Name == "" || len(sr.Applications) == 0 || len(sr.Applications) != len(sr.Releases) {
		return sr, derrors.New(derrors.Invalid, "invalid_set_release", "set release %q needs an id, a name and one release per application", sr.ID)
	}
	sr = prepareSetRelease(sr, now)
	for i := range rels {
		r, err := PrepareRelease(rels[i], now)
		if err != nil {
			return sr, fmt.Errorf("creating set release %q: %w", sr.ID, err)
		}
		rels[i] = r
	}
	for i := range ps {
		p, err := PreparePromotion(ps[i], now)
		if err != nil {
			return sr, fmt.Errorf("creating set release %q: %w", sr.ID, err)
		}
		ps[i] = p
	}
	var out promotion.SetRelease
	err := s.write(ctx, func(tx Conn) error {
		out = sr
		out.Releases = append([]string(nil), sr.Releases...)
		stored := map[string]string{} // new release id → stored one
		for _, r := range rels {
			n, err := tx.Exec(ctx, s.q.insertRelease, s.releaseArgs(r)...)
			if err != nil {
				return err
			}
			if n == 0 {
				old, err := s.scanRelease(tx.QueryRow(ctx, s.q.releaseOfImage, r.Application, r.Tag, r.Digest))
				if err != nil {
					return err
				}
				stored[r.ID] = old.ID
			}
		}
		for i, id := range out.Releases {
			if old, ok := stored[id]; ok {
				out.Releases[i] = old
			}
		}
		if err := s.insertSetRelease(ctx, tx, out); err != nil {
			return err
		}
		for _, p := range ps {
			if old, ok := stored[p.ReleaseID]; ok {
				p.ReleaseID = old
			}
			if err := s.insertPromotion(ctx, tx, p); err != nil {
				return fmt.Errorf("creating promotion %q: %w", p.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return promotion.SetRelease{}, fmt.Errorf("creating set release %q: %w", sr.ID, err)
	}
	return out, nil
}

// prepareSetRelease returns sr as it is stored: a zero CreatedAt set to
// now, times through Time, and an empty Formed as FormedReported.
func prepareSetRelease(sr promotion.SetRelease, now time.Time) promotion.SetRelease {
	if sr.CreatedAt.IsZero() {
		sr.CreatedAt = now
	}
	sr.CreatedAt = Time(sr.CreatedAt)
	if sr.Formed == "" {
		sr.Formed = promotion.FormedReported
	}
	return sr
}

func (s *SQL) insertSetRelease(ctx context.Context, tx Conn, sr promotion.SetRelease) error {
	_, err := tx.Exec(ctx, s.d.rebind(`INSERT INTO release_sets (`+SetReleaseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`), s.setReleaseArgs(sr)...)
	return err
}

// GetSetRelease returns the set release with id.
func (s *SQL) GetSetRelease(ctx context.Context, id string) (promotion.SetRelease, error) {
	r, err := s.scanSetRelease(s.read.QueryRow(ctx, s.d.rebind(`SELECT `+SetReleaseColumns+` FROM release_sets WHERE id = ?`), id))
	if err != nil {
		return promotion.SetRelease{}, fmt.Errorf("getting set release %q: %w", id, err)
	}
	return r, nil
}

// ListSetReleases returns a page of set releases, newest first.
func (s *SQL) ListSetReleases(ctx context.Context, f promotion.SetReleaseFilter) (promotion.Page[promotion.SetRelease], error) {
	limit, c, err := PageArgs(f.Limit, f.Cursor)
	if err != nil {
		return promotion.Page[promotion.SetRelease]{}, fmt.Errorf("listing set releases: %w", err)
	}
	w := where{d: s.d}
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	w.after(c)
	q := "SELECT " + SetReleaseColumns + " FROM release_sets" + w.String()
	q += w.page(limit)
	rs, err := List(ctx, s.read, q, w.args, s.scanSetRelease)
	if err != nil {
		return promotion.Page[promotion.SetRelease]{}, fmt.Errorf("listing set releases: %w", err)
	}
	return PageOf(rs, limit, func(r promotion.SetRelease) Cursor {
		return Cursor{CreatedAt: r.CreatedAt, ID: r.ID}
	}), nil
}

// CreatePromotions stores ps and pins in one transaction: all or none.
// Each pin becomes the active pin of its application and environment, as
// CreatePin makes it.
func (s *SQL) CreatePromotions(ctx context.Context, ps []promotion.Promotion, pins []promotion.Pin) error {
	now := time.Now()
	for i := range ps {
		p, err := PreparePromotion(ps[i], now)
		if err != nil {
			return fmt.Errorf("creating promotions: %w", err)
		}
		ps[i] = p
	}
	for i := range pins {
		pins[i] = preparePin(pins[i], now)
	}
	err := s.write(ctx, func(tx Conn) error {
		for _, p := range ps {
			if err := s.insertPromotion(ctx, tx, p); err != nil {
				return fmt.Errorf("creating promotion %q: %w", p.ID, err)
			}
		}
		for _, p := range pins {
			if err := s.insertPin(ctx, tx, p); err != nil {
				return fmt.Errorf("pinning %s in %s: %w", p.Application, p.Environment, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating promotions: %w", err)
	}
	return nil
}
