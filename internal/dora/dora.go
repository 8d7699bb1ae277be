// Package dora computes the DORA metrics of an application from the sums
// the store reads out of the promotion history (store.DoraBuckets): per
// environment and over a window, deployment frequency, lead time for
// changes, change failure rate and time to restore, and the weekly (or
// other) buckets a chart draws.
package dora

import (
	"context"
	"time"

	"github.com/ferryhq/ferry/internal/store"
)

// Reader is the store as the metrics read it.
type Reader interface {
	DoraBuckets(ctx context.Context, f store.DoraFilter) ([]store.DoraBucket, error)
}

// Measured-from values: where an environment's lead times start.
const (
	FromCommit = "source_commit" // every deployment's release had a source commit time
	FromReport = "report"        // none had: lead time starts at the build report
	FromMixed  = "mixed"         // some had, some not
)

// Report is the DORA metrics of one application (or release set) over
// [From, To).
type Report struct {
	Application string
	Set         string
	From, To    time.Time
	Bucket      time.Duration
	// Overall adds up every environment's deployments.
	Overall      Totals
	Environments []Environment
}

// Environment is the metrics of the application in one environment.
type Environment struct {
	Name string
	Totals
	// Buckets cover the window from From, Bucket wide each, the last one
	// cut at To; every one is present, empty or not.
	Buckets []Bucket
}

// Totals are the metrics of a set of deployments.
type Totals struct {
	Deployments int
	// PerDay is Deployments over the window's length in days.
	PerDay float64
	// LeadTime is the mean lead time for changes; zero without deployments.
	LeadTime time.Duration
	// FromCommit and FromReport count the deployments whose lead time
	// starts at the source commit and at the build report; MeasuredFrom
	// sums them up in one word (FromCommit, FromReport, FromMixed).
	FromCommit, FromReport int
	MeasuredFrom           string
	// Failures counts the failed changes; FailureRate is their share of
	// Deployments (0 without deployments).
	Failures    int
	FailureRate float64
	// TimeToRestore is the mean time from a failed change reaching the
	// environment to its restore reaching it; zero without failures.
	TimeToRestore time.Duration
}

// Bucket is the deployments of one bucket of the window.
type Bucket struct {
	Start time.Time
	Totals
}

// Compute reads the metrics of f.Application or f.Set (and f.Environment when set)
// over [f.From, f.To) from r.
func Compute(ctx context.Context, r Reader, f store.DoraFilter) (Report, error) {
	bs, err := r.DoraBuckets(ctx, f)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Application: f.Application, Set: f.Set, From: f.From, To: f.To, Bucket: f.Bucket, Environments: []Environment{}}
	n := int((f.To.Sub(f.From) + f.Bucket - 1) / f.Bucket)
	var overall store.DoraBucket
	for i := 0; i < len(bs); {
		env := bs[i].Environment
		sums := make([]store.DoraBucket, n)
		var all store.DoraBucket
		for ; i < len(bs) && bs[i].Environment == env; i++ {
			if b := bs[i]; b.Index >= 0 && b.Index < n {
				sums[b.Index] = b
				all = add(all, b)
			}
		}
		e := Environment{Name: env, Totals: totals(all, f.To.Sub(f.From)), Buckets: make([]Bucket, n)}
		for j, b := range sums {
			start := f.From.Add(time.Duration(j) * f.Bucket)
			e.Buckets[j] = Bucket{Start: start, Totals: totals(b, min(f.To.Sub(start), f.Bucket))}
		}
		rep.Environments = append(rep.Environments, e)
		overall = add(overall, all)
	}
	rep.Overall = totals(overall, f.To.Sub(f.From))
	return rep, nil
}

func add(a, b store.DoraBucket) store.DoraBucket {
	a.Deployments += b.Deployments
	a.FromCommit += b.FromCommit
	a.LeadSeconds += b.LeadSeconds
	a.Failures += b.Failures
	a.RestoreSeconds += b.RestoreSeconds
	return a
}

// totals turns sums over a span of time into metrics.
func totals(b store.DoraBucket, span time.Duration) Totals {
	t := Totals{Deployments: b.Deployments, FromCommit: b.FromCommit, FromReport: b.Deployments - b.FromCommit,
		Failures: b.Failures}
	if span > 0 {
		t.PerDay = float64(b.Deployments) / span.Hours() * 24
	}
	if b.Deployments > 0 {
		t.LeadTime = seconds(b.LeadSeconds / float64(b.Deployments))
		t.FailureRate = float64(b.Failures) / float64(b.Deployments)
		switch {
		case t.FromReport == 0:
			t.MeasuredFrom = FromCommit
		case t.FromCommit == 0:
			t.MeasuredFrom = FromReport
		default:
			t.MeasuredFrom = FromMixed
		}
	}
	if b.Failures > 0 {
		t.TimeToRestore = seconds(b.RestoreSeconds / float64(b.Failures))
	}
	return t
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}
