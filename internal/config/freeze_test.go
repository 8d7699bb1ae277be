package config

import (
	"strings"
	"testing"
	"time"
)

func TestFreezeUntil(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	weekend := Freeze{From: "Fri 16:00", To: "Mon 08:00", TimeZone: "Europe/Berlin"}
	lunch := Freeze{From: "wed 12:00", To: "Wed 13:30"}
	cases := []struct {
		name   string
		f      Freeze
		at     time.Time
		frozen bool
		until  time.Time
	}{
		{"friday before", weekend, time.Date(2026, 11, 27, 15, 59, 0, 0, berlin), false, time.Time{}},
		{"friday at start", weekend, time.Date(2026, 11, 27, 16, 0, 0, 0, berlin), true, time.Date(2026, 11, 30, 8, 0, 0, 0, berlin)},
		{"sunday", weekend, time.Date(2026, 11, 29, 10, 30, 0, 0, berlin), true, time.Date(2026, 11, 30, 8, 0, 0, 0, berlin)},
		{"monday early", weekend, time.Date(2026, 11, 30, 7, 59, 0, 0, berlin), true, time.Date(2026, 11, 30, 8, 0, 0, 0, berlin)},
		{"monday at end", weekend, time.Date(2026, 11, 30, 8, 0, 0, 0, berlin), false, time.Time{}},
		{"UTC instant in Berlin's window", weekend, time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC), true, time.Date(2026, 11, 30, 8, 0, 0, 0, berlin)},
		{"inside a short window", lunch, time.Date(2026, 11, 25, 12, 45, 0, 0, time.UTC), true, time.Date(2026, 11, 25, 13, 30, 0, 0, time.UTC)},
		{"after a short window", lunch, time.Date(2026, 11, 25, 13, 30, 0, 0, time.UTC), false, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.parse(); err != nil {
				t.Fatal(err)
			}
			until, frozen := tc.f.Until(tc.at)
			if frozen != tc.frozen || !until.Equal(tc.until) {
				t.Errorf("Until(%s) = %s, %v; want %s, %v", tc.at, until, frozen, tc.until, tc.frozen)
			}
		})
	}
}

func TestFreezeInvalid(t *testing.T) {
	for _, tc := range []struct {
		f    Freeze
		want string
	}{
		{Freeze{From: "Friday", To: "Mon 08:00"}, "from:"},
		{Freeze{From: "Fri 25:00", To: "Mon 08:00"}, "from:"},
		{Freeze{From: "Fri 16:00", To: "Mon 8"}, "to:"},
		{Freeze{From: "Fri 16:00", To: "Fri 16:00"}, "same time"},
		{Freeze{From: "Fri 16:00", To: "Mon 08:00", TimeZone: "Mars/Olympus"}, "timezone"},
	} {
		if err := tc.f.parse(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tc.f, err, tc.want)
		}
	}
	_, err := ParsePipeline([]byte("environments:\n  - name: prod\n    gates:\n      freeze:\n        - {from: Fri 16:00, to: Noday 08:00}\n"), "main")
	if err == nil || !strings.Contains(err.Error(), "environments[0].gates.freeze[0]: to:") {
		t.Errorf("ParsePipeline error = %v", err)
	}
}
