package dora_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/dora"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// bucketsOf is a Reader answering fixed sums, as the store would.
type bucketsOf []store.DoraBucket

func (b bucketsOf) DoraBuckets(context.Context, store.DoraFilter) ([]store.DoraBucket, error) {
	return b, nil
}

var _ dora.Reader = (*sqlite.Store)(nil)

func TestComputeTurnsSumsIntoMetrics(t *testing.T) {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	f := store.DoraFilter{Application: "payments", From: from, To: from.AddDate(0, 0, 10), Bucket: 7 * 24 * time.Hour}
	rep, err := dora.Compute(context.Background(), bucketsOf{
		{Environment: "dev", Index: 0, Deployments: 4, FromCommit: 4, LeadSeconds: 4 * 600},
		{Environment: "prod", Index: 0, Deployments: 1, LeadSeconds: 7200, Failures: 1, RestoreSeconds: 1800},
		{Environment: "prod", Index: 1, Deployments: 3, FromCommit: 1, LeadSeconds: 3 * 3600},
	}, f)
	if err != nil {
		t.Fatalf("Compute() = %v", err)
	}
	if len(rep.Environments) != 2 {
		t.Fatalf("Compute() has %d environments, want 2", len(rep.Environments))
	}
	dev, prod := rep.Environments[0], rep.Environments[1]
	if dev.Name != "dev" || dev.Deployments != 4 || dev.PerDay != 0.4 || dev.LeadTime != 10*time.Minute ||
		dev.MeasuredFrom != dora.FromCommit || dev.FailureRate != 0 || len(dev.Buckets) != 2 || dev.Buckets[1].Deployments != 0 {
		t.Errorf("dev = %+v", dev)
	}
	// prod: 4 deployments, lead (7200 + 10800) / 4 = 4500 s, one failure
	// of four restored in 30 minutes; one lead from a commit, three not.
	if prod.Deployments != 4 || prod.LeadTime != 4500*time.Second || prod.FailureRate != 0.25 ||
		prod.TimeToRestore != 30*time.Minute || prod.MeasuredFrom != dora.FromMixed || prod.FromReport != 3 {
		t.Errorf("prod = %+v", prod.Totals)
	}
	// The second bucket is cut at To: 3 days long.
	if b := prod.Buckets[1]; !b.Start.Equal(from.AddDate(0, 0, 7)) || b.PerDay != 1 || b.MeasuredFrom != dora.FromMixed {
		t.Errorf("prod bucket 1 = %+v", b)
	}
	if o := rep.Overall; o.Deployments != 8 || o.Failures != 1 || o.FailureRate != 0.125 {
		t.Errorf("overall = %+v", o)
	}
}
