package console

import (
	"testing"
	"time"
)

func TestTimeRange(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name, from, to string
		since, until   time.Time
		err            bool
	}{
		{"none", "", "", time.Time{}, time.Time{}, false},
		{"one day", "2026-12-03", "2026-12-03", day(3, 0, 0), day(4, 0, 0), false},
		{"minutes, to includes its minute", "2026-12-03T14:05", "2026-12-03T14:30", day(3, 14, 5), day(3, 14, 31), false},
		{"from only", "2026-12-03T14:05", "", day(3, 14, 5), time.Time{}, false},
		{"to only", "", "2026-12-02", time.Time{}, day(3, 0, 0), false},
		{"not a date", "yesterday", "", time.Time{}, time.Time{}, true},
		{"from after to", "2026-12-04", "2026-12-03", time.Time{}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since, until, err := timeRange(tc.from, tc.to)
			if (err != nil) != tc.err || !since.Equal(tc.since) || !until.Equal(tc.until) {
				t.Fatalf("timeRange(%q, %q) = %v, %v, %v", tc.from, tc.to, since, until, err)
			}
		})
	}
}
