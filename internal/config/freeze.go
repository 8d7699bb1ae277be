package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Freeze is a weekly window in which no promotion into an environment
// starts. A promotion that meets it waits, says so, and proceeds when the
// window ends.
type Freeze struct {
	// From and To are a weekday and a time, "Fri 16:00" and "Mon 08:00".
	// A window may wrap around the end of the week.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// TimeZone is an IANA zone name. Default UTC.
	TimeZone string `yaml:"timezone"`

	from, to int // minutes since Sunday 00:00
	loc      *time.Location
}

const week = 7 * 24 * 60

var weekdays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

func (f *Freeze) parse() error {
	var err error
	if f.from, err = weekMinute(f.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if f.to, err = weekMinute(f.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if f.from == f.to {
		return fmt.Errorf("from and to are the same time")
	}
	tz := f.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if f.loc, err = time.LoadLocation(tz); err != nil {
		return fmt.Errorf("timezone %q: not an IANA time zone", tz)
	}
	return nil
}

// weekMinute parses "Fri 16:00".
func weekMinute(s string) (int, error) {
	day, hm, ok := strings.Cut(strings.TrimSpace(s), " ")
	d, known := weekdays[strings.ToLower(day)[:min(3, len(day))]]
	if !ok || !known {
		return 0, fmt.Errorf("%q is not a weekday and time such as \"Fri 16:00\"", s)
	}
	h, m, ok := strings.Cut(strings.TrimSpace(hm), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a weekday and time such as \"Fri 16:00\"", s)
	}
	return d*24*60 + hh*60 + mm, nil
}

// Until reports whether t is inside the window and, if so, when it ends.
func (f Freeze) Until(t time.Time) (time.Time, bool) {
	if f.loc == nil {
		if err := f.parse(); err != nil {
			return time.Time{}, false
		}
	}
	lt := t.In(f.loc)
	m := int(lt.Weekday())*24*60 + lt.Hour()*60 + lt.Minute()
	inside := f.from < f.to && m >= f.from && m < f.to ||
		f.from > f.to && (m >= f.from || m < f.to)
	if !inside {
		return time.Time{}, false
	}
	left := (f.to - m + week) % week
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, f.loc).Add(time.Duration(left) * time.Minute)
	return end, true
}

// String describes the window for people.
func (f Freeze) String() string {
	tz := f.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return f.From + "–" + f.To + " " + tz
}
