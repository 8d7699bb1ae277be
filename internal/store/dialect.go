package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect is what sets one driver's SQL apart from another's. The shared
// queries (see SQL) are written once, with "?" placeholders, in the SQL both
// SQLite and PostgreSQL understand (ON CONFLICT … DO NOTHING, row values,
// UNION ALL … LIMIT); a Dialect spells what differs. What differs beyond it
// (claiming, with FOR UPDATE SKIP LOCKED or one writer; migrations;
// connections) stays in the driver.
type Dialect struct {
	// Numbered placeholders are $1, $2, … (PostgreSQL) instead of ?.
	Numbered bool
	// MicroTimes stores times as integer microseconds since the Unix epoch
	// (SQLite), not as timestamptz.
	MicroTimes bool
	// JSONLists stores a list of strings as a JSON array in text (SQLite),
	// not as text[].
	JSONLists bool
	// RowLocks locks a row read to be written with FOR UPDATE (PostgreSQL);
	// without it, the driver's transactions must hold the write lock from
	// their first read (SQLite's BEGIN IMMEDIATE).
	RowLocks bool
	// PlannerHints marks a condition that must not drive the scan with a
	// unary + (SQLite, whose planner has no statistics to tell).
	PlannerHints bool
	// KeyLocks takes a lock on a name for the rest of the transaction
	// with pg_advisory_xact_lock (PostgreSQL), so that two transactions
	// deciding on the same thing run one after the other; without it the
	// driver's transactions are serialized already (SQLite's one writer).
	KeyLocks bool
}

// rebind returns q, written with "?" placeholders, in d's placeholders.
// Shared queries are rebound once, when a driver builds its SQL.
func (d Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for {
		i := strings.IndexByte(q, '?')
		if i < 0 {
			b.WriteString(q)
			return b.String()
		}
		n++
		b.WriteString(q[:i])
		b.WriteString("$" + strconv.Itoa(n))
		q = q[i+1:]
	}
}

// placeholder returns the nth (from 1) placeholder.
func (d Dialect) placeholder(n int) string {
	if d.Numbered {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// forUpdate returns the locking clause of a read whose row the transaction
// writes next.
func (d Dialect) forUpdate() string {
	if d.RowLocks {
		return " FOR UPDATE"
	}
	return ""
}

// lockKey returns the statement that holds the lock on key until the
// transaction ends (its one argument is key), or "" when transactions are
// serialized anyway.
func (d Dialect) lockKey() string {
	if d.KeyLocks {
		return "SELECT pg_advisory_xact_lock(hashtext(?))"
	}
	return ""
}

// unindexed returns column as a condition's left side that the planner must
// not drive the scan with.
func (d Dialect) unindexed(column string) string {
	if d.PlannerHints {
		return "+" + column
	}
	return column
}

// time returns t as an argument: as Time stores it, in d's encoding.
func (d Dialect) time(t time.Time) any {
	t = Time(t)
	if d.MicroTimes {
		return t.UnixMicro()
	}
	return t
}

// list returns a as an argument. Empty or nil, it is stored as an empty
// list (a NULL the column refuses), and both read back as nil.
func (d Dialect) list(a []string) any {
	if d.JSONLists {
		if len(a) == 0 {
			return "[]"
		}
		b, _ := json.Marshal(a) // a []string always marshals
		return string(b)
	}
	if a == nil {
		return []string{}
	}
	return a
}

// zeroMicros is how MicroTimes stores the zero time.Time.
var zeroMicros = time.Time{}.UnixMicro()

// timeColumn receives a time column in either encoding.
type timeColumn struct {
	micros int64
	t      time.Time
}

// dest returns what Scan should fill.
func (c *timeColumn) dest(d Dialect) any {
	if d.MicroTimes {
		return &c.micros
	}
	return &c.t
}

// value returns the time read, in UTC; the stored zero is the zero time.
func (c *timeColumn) value(d Dialect) time.Time {
	if d.MicroTimes {
		if c.micros == zeroMicros {
			return time.Time{}
		}
		return time.UnixMicro(c.micros).UTC()
	}
	if c.t.IsZero() {
		return time.Time{}
	}
	return c.t.UTC()
}

// listColumn receives a list of strings in either encoding.
type listColumn struct {
	json string
	a    []string
}

func (c *listColumn) dest(d Dialect) any {
	if d.JSONLists {
		return &c.json
	}
	return &c.a
}

// value returns the list read; empty, it is nil.
func (c *listColumn) value(d Dialect) ([]string, error) {
	if d.JSONLists {
		if err := json.Unmarshal([]byte(c.json), &c.a); err != nil {
			return nil, fmt.Errorf("decoding %q: %w", c.json, err)
		}
	}
	return Approvers(c.a), nil
}

// seconds returns the SQL of the seconds from time column earlier to time
// column later, as a floating-point number. On PostgreSQL, date_part
// rather than extract: extract answers numeric, whose arithmetic made a
// third of a 10,000-deployment DORA query (EXPLAIN ANALYZE, 1M promotions).
func (d Dialect) seconds(later, earlier string) string {
	if d.MicroTimes {
		return "((" + later + " - " + earlier + ") / 1000000.0)"
	}
	return "date_part('epoch', " + later + " - " + earlier + ")"
}

// bucket returns the SQL of the whole number of widths from the time
// argument "?" to time column col (col is not before it), and the
// arguments from and width to pass for its two placeholders.
func (d Dialect) bucket(col string, from time.Time, width time.Duration) (string, []any) {
	if d.MicroTimes {
		return "((" + col + " - ?) / ?)", []any{d.time(from), width.Microseconds()}
	}
	return "floor(date_part('epoch', " + col + " - ?) / ?)::bigint", []any{d.time(from), width.Seconds()}
}
