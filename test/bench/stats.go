package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// latencies is a set of measured durations.
type latencies []time.Duration

// pct returns the p-th percentile (nearest rank) or 0 when empty.
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summary formats p50/p99 of l in milliseconds.
func (l latencies) summary() string {
	return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (n=%d)", ms(l.pct(50)), ms(l.pct(99)), len(l))
}

// figure is one number with its unit, as printed in the machine line.
type figure struct {
	value float64
	unit  string
}

func (f figure) String() string {
	switch {
	case f.value >= 100:
		return fmt.Sprintf("%.0f%s", f.value, f.unit)
	default:
		return fmt.Sprintf("%.2f%s", f.value, f.unit)
	}
}

// result is what one scenario measured.
type result struct {
	scenario string
	ferry    figure
	baseline *figure
	// lowerIsBetter is true for times, false for throughputs; it orients
	// the ratio so that a ratio above 1 always means Ferry is better.
	lowerIsBetter bool
	commits       int
	rssMB         float64 // peak RSS (VmHWM) of the ferry process
	ferryDetail   string
	baseDetail    string
	target        string // the target and whether it is met
	err           error
}

// ratio is baseline/ferry for times and ferry/baseline for throughputs.
func (r result) ratio() float64 {
	if r.baseline == nil || r.ferry.value == 0 || r.baseline.value == 0 {
		return 0
	}
	if r.lowerIsBetter {
		return r.baseline.value / r.ferry.value
	}
	return r.ferry.value / r.baseline.value
}

// line is the machine-readable line of the scenario.
func (r result) line() string {
	if r.err != nil {
		return fmt.Sprintf("bench: scenario=%s error=%q", r.scenario, r.err.Error())
	}
	s := fmt.Sprintf("bench: scenario=%s ferry=%s", r.scenario, r.ferry)
	if r.baseline != nil {
		s += fmt.Sprintf(" baseline=%s ratio=%.2f", r.baseline, r.ratio())
	} else {
		s += " baseline=- ratio=-" // no baseline for this scenario
	}
	return s + fmt.Sprintf(" commits=%d", r.commits)
}

// printTable writes a Markdown table of the results.
func printTable(w io.Writer, rs []result) {
	fmt.Fprintln(w, "| scenario | Ferry | baseline | ratio | Ferry detail | baseline detail | peak RSS | commits | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | error: %s | | | | | | | |\n", r.scenario, strings.ReplaceAll(r.err.Error(), "|", "/"))
			continue
		}
		base, ratio := "—", "—"
		if r.baseline != nil {
			base, ratio = r.baseline.String(), fmt.Sprintf("%.2f×", r.ratio())
		}
		rss := "—"
		if r.rssMB > 0 {
			rss = fmt.Sprintf("%.0f MB", r.rssMB)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n",
			r.scenario, r.ferry, base, ratio, r.ferryDetail, r.baseDetail, rss, r.commits, r.target)
	}
}

// met formats a target check.
func met(ok bool, what string) string {
	if ok {
		return "met: " + what
	}
	return "**missed**: " + what
}
