package main

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var l latencies
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := l.pct(tc.p); got != tc.want {
			t.Errorf("pct(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := (latencies{}).pct(99); got != 0 {
		t.Errorf("pct of nothing = %v, want 0", got)
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    result
		want string
	}{
		{"time: baseline/ferry", result{scenario: "burst", lowerIsBetter: true, ferry: figure{2.5, "s"}, baseline: &figure{100, "s"}, commits: 3},
			"bench: scenario=burst ferry=2.50s baseline=100s ratio=40.00 commits=3"},
		{"throughput: ferry/baseline", result{scenario: "x", ferry: figure{200, "rps"}, baseline: &figure{50, "rps"}},
			"bench: scenario=x ferry=200rps baseline=50.00rps ratio=4.00 commits=0"},
		{"no baseline", result{scenario: "history-sqlite", lowerIsBetter: true, ferry: figure{3.25, "ms"}},
			"bench: scenario=history-sqlite ferry=3.25ms baseline=- ratio=- commits=0"},
		{"error", result{scenario: "single", err: errors.New("boom")},
			`bench: scenario=single error="boom"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.line(); got != tc.want {
				t.Errorf("line() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMultiInsert(t *testing.T) {
	got := multiInsert("INSERT INTO t (a, b) VALUES ", 2, 3)
	want := "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)"
	if got != want {
		t.Errorf("multiInsert = %q, want %q", got, want)
	}
}
