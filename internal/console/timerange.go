package console

import (
	"fmt"
	"time"
)

// Layouts the history's time range accepts, in UTC: a browser's
// datetime-local input sends the first, a typed date the second.
const (
	minuteLayout = "2006-01-02T15:04"
	dayLayout    = "2006-01-02"
)

// timeRange parses the history's from and to (UTC). A day alone means its
// start for from and its whole day for to: from=to=2026-12-03 is that
// day. It returns the bounds as Since <= created < Until, zero when not given.
func timeRange(from, to string) (since, until time.Time, err error) {
	if from != "" {
		if since, _, err = parseBound(from); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("from: %w", err)
		}
	}
	if to != "" {
		var day bool
		if until, day, err = parseBound(to); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("to: %w", err)
		}
		if day {
			until = until.AddDate(0, 0, 1)
		} else {
			until = until.Add(time.Minute) // the whole minute named
		}
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return time.Time{}, time.Time{}, fmt.Errorf("from %s is not before to %s", from, to)
	}
	return since, until, nil
}

func parseBound(s string) (time.Time, bool, error) {
	if t, err := time.ParseInLocation(minuteLayout, s, time.UTC); err == nil {
		return t, false, nil
	}
	if t, err := time.ParseInLocation(dayLayout, s, time.UTC); err == nil {
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a UTC date (2026-12-03) or time (2026-12-03T14:05)", s)
}
