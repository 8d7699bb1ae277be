package postgres

import (
	"strconv"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// where collects the conditions of a WHERE clause and their arguments;
// add numbers the placeholders, written "?" in cond, as $1, $2, ….
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
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
// newest-first order. PostgreSQL compares row values lexicographically and
// range-scans a (…, created_at, id) index backwards from the cursor.
func (w *where) after(c *store.Cursor) {
	if c != nil {
		w.add("(created_at, id) < (?, ?)", ts(c.CreatedAt), c.ID)
	}
}

// limit returns the ORDER BY and LIMIT of a list: newest first, one row
// more than a page, to learn whether another page follows.
func (w *where) limit(n int) string {
	w.args = append(w.args, n+1)
	return " ORDER BY created_at DESC, id DESC LIMIT $" + strconv.Itoa(len(w.args))
}

// listReleasesQuery returns the query of one page of releases.
func listReleasesQuery(f promotion.ReleaseFilter, limit int, c *store.Cursor) (string, []any) {
	var w where
	if f.Application != "" {
		w.add("application = ?", f.Application)
	}
	w.after(c)
	q := "SELECT " + releaseColumns + " FROM releases" + w.String()
	q += w.limit(limit)
	return q, w.args
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
		w.add("state = ?", string(f.State))
	}
	if f.ReleaseID != "" {
		w.add("release_id = ?", f.ReleaseID)
	}
	if f.PRNumber != 0 {
		w.add("pr_number = ?", f.PRNumber)
	}
	w.after(c)
	q := "SELECT " + promotionColumns + " FROM promotions" + w.String()
	q += w.limit(limit)
	return q, w.args
}
