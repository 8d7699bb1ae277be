package sqlite

import (
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// where collects the conditions of a WHERE clause and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// after adds the keyset condition of a cursor: rows strictly after c in
// newest-first order. The row value comparison lets SQLite range-scan the
// (…, created_at, id) index backwards from the cursor.
func (w *where) after(c *store.Cursor) {
	if c != nil {
		w.add("(created_at, id) < (?, ?)", micros(c.CreatedAt), c.ID)
	}
}

// listOrder orders a list newest first and fetches one row more than a page,
// to learn whether another page follows.
const listOrder = " ORDER BY created_at DESC, id DESC LIMIT ?"

// listReleasesQuery returns the query of one page of releases.
func listReleasesQuery(f promotion.ReleaseFilter, limit int, c *store.Cursor) (string, []any) {
	var w where
	if f.Application != "" {
		w.add("application = ?", f.Application)
	}
	w.after(c)
	return "SELECT " + releaseColumns + " FROM releases" + w.String() + listOrder, append(w.args, limit+1)
}

// listPromotionsQuery returns the query of one page of promotions.
func listPromotionsQuery(f promotion.PromotionFilter, limit int, c *store.Cursor) (string, []any) {
	var w where
	if f.Application != "" {
		w.add("application = ?", f.Application)
	}
	if f.Environment != "" {
		w.add("environment = ?", f.Environment)
	}
	if f.State != "" {
		// A state holds a large share of all rows. Beside any other filter
		// its index is the worst to drive the scan, but SQLite, without
		// statistics, cannot tell: the unary + keeps it off that index.
		if f.Application != "" || f.Environment != "" || f.ReleaseID != "" || f.PRNumber != 0 {
			w.add("+state = ?", string(f.State))
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
	w.after(c)
	return "SELECT " + promotionColumns + " FROM promotions" + w.String() + listOrder, append(w.args, limit+1)
}
