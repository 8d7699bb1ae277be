package store

import (
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// where collects the conditions of a WHERE clause and their arguments; add
// turns the "?" placeholders of a condition into the dialect's.
type where struct {
	d     Dialect
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		if w.d.Numbered {
			cond = strings.Replace(cond, "?", w.d.placeholder(len(w.args)), 1)
		}
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// after adds the keyset condition of a cursor: rows strictly after c in
// newest-first order. Both databases compare row values lexicographically
// and range-scan a (…, created_at, id) index backwards from the cursor.
func (w *where) after(c *Cursor) {
	if c != nil {
		w.add("(created_at, id) < (?, ?)", w.d.time(c.CreatedAt), c.ID)
	}
}

// page returns the ORDER BY and LIMIT of a list: newest first, one row more
// than a page, to learn whether another page follows.
func (w *where) page(limit int) string {
	w.args = append(w.args, limit+1)
	return " ORDER BY created_at DESC, id DESC LIMIT " + w.d.placeholder(len(w.args))
}

// ListReleasesQuery returns the query of one page of releases.
func (s *SQL) ListReleasesQuery(f promotion.ReleaseFilter, limit int, c *Cursor) (string, []any) {
	w := where{d: s.d}
	if f.Application != "" {
		w.add("application = ?", f.Application)
	}
	w.after(c)
	q := "SELECT " + ReleaseColumns + " FROM releases" + w.String()
	q += w.page(limit)
	return q, w.args
}

// ListPromotionsQuery returns the query of one page of promotions.
func (s *SQL) ListPromotionsQuery(f promotion.PromotionFilter, limit int, c *Cursor) (string, []any) {
	w := where{d: s.d}
	if f.Application != "" {
		w.add("application = ?", f.Application)
	}
	if f.Environment != "" {
		w.add("environment = ?", f.Environment)
	}
	if f.State != "" {
		// A state holds a large share of all rows: beside any other filter
		// its index is the worst to drive the scan.
		if f.Application != "" || f.Environment != "" || f.ReleaseID != "" || f.PRNumber != 0 || f.SetRelease != "" {
			w.add(s.d.unindexed("state")+" = ?", string(f.State))
		} else {
			w.add("state = ?", string(f.State))
		}
	}
	if f.ReleaseID != "" {
		w.add("release_id = ?", f.ReleaseID)
	}
	if f.PRNumber != 0 {
		w.add("pr_number = ?", f.PRNumber)
	}
	// Times are stored in microseconds: a bound rounded up to the next
	// microsecond keeps created >= Since and created < Until exact.
	if !f.Since.IsZero() {
		w.add("created_at >= ?", w.d.time(ceilMicro(f.Since)))
	}
	if !f.Until.IsZero() {
		w.add("created_at < ?", w.d.time(ceilMicro(f.Until)))
	}
	if f.SetRelease != "" {
		w.add("set_release_id = ?", f.SetRelease)
	}
	w.after(c)
	q := "SELECT " + PromotionColumns + " FROM promotions" + w.String()
	q += w.page(limit)
	return q, w.args
}

// ceilMicro rounds t up to a whole microsecond.
func ceilMicro(t time.Time) time.Time {
	if u := t.Truncate(time.Microsecond); !u.Equal(t) {
		return u.Add(time.Microsecond)
	}
	return t
}
