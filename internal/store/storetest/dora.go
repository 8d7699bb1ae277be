package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// doraHistory stores a scripted history of payments (and of billing, which
// no query of payments may count). Times are seconds after base; the
// expected sums in testDora are worked out by hand from this script.
//
//	release  reported  source commit  fixes
//	v1       900       800
//	v2       1100      (none)
//	v3       1300      1250
//	v4       1700      1690           v3
//
//	dev:  v2@1150  v3@1310  v4@1750  (v4 noop@1760, v4 failed@1770)  v2@2050
//	prod: v1@950   v2@1200  v3@1400  v2@1450  v4@1800  v1@1950  v3@2100  (v4 pr-open)
func doraHistory(t *testing.T, s Store) {
	t.Helper()
	for _, h := range doraScript() {
		mustCreateRelease(t, s, h.r, h.ps...)
	}
}

// doraRelease is a release of the script and its promotions.
type doraRelease struct {
	r  promotion.Release
	ps []promotion.Promotion
}

// doraScript is the history doraHistory stores.
func doraScript() []doraRelease {
	r1 := rel("rel-v1", "payments", "v1", at(900))
	r1.SourceCommittedAt = at(800)
	r2 := rel("rel-v2", "payments", "v2", at(1100))
	r3 := rel("rel-v3", "payments", "v3", at(1300))
	r3.SourceCommittedAt = at(1250)
	r4 := rel("rel-v4", "payments", "v4", at(1700))
	r4.SourceCommittedAt, r4.Fixes = at(1690), "rel-v3"
	n := 0
	deploy := func(r promotion.Release, env string, reached int, st promotion.State) promotion.Promotion {
		n++
		p := prom(r.ID+"-"+env+"-"+time.Duration(n).String(), r, env, st, r.CreatedAt)
		p.UpdatedAt = at(reached)
		return p
	}
	noop := deploy(r4, "dev", 1760, promotion.StateCommitted)
	noop.Noop = true
	b1 := rel("rel-b1", "billing", "v1", at(1000))
	return []doraRelease{
		{r1, []promotion.Promotion{deploy(r1, "prod", 950, promotion.StateMerged), deploy(r1, "prod", 1950, promotion.StateCommitted)}},
		{r2, []promotion.Promotion{deploy(r2, "dev", 1150, promotion.StateCommitted), deploy(r2, "prod", 1200, promotion.StateMerged),
			deploy(r2, "prod", 1450, promotion.StateCommitted), deploy(r2, "dev", 2050, promotion.StateCommitted)}},
		{r3, []promotion.Promotion{deploy(r3, "dev", 1310, promotion.StateCommitted), deploy(r3, "prod", 1400, promotion.StateMerged),
			deploy(r3, "prod", 2100, promotion.StateMerged)}},
		{r4, []promotion.Promotion{deploy(r4, "dev", 1750, promotion.StateCommitted), noop,
			deploy(r4, "dev", 1770, promotion.StateFailed), deploy(r4, "prod", 1800, promotion.StateMerged),
			deploy(r4, "prod", 1810, promotion.StatePROpen)}},
		{b1, []promotion.Promotion{deploy(b1, "prod", 1200, promotion.StateCommitted), deploy(b1, "prod", 1300, promotion.StateCommitted)}},
	}
}

func testDora(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	doraHistory(t, s)
	window := store.DoraFilter{Application: "payments", From: at(1000), To: at(2000), Bucket: 500 * time.Second}

	t.Run("sums per environment and bucket", func(t *testing.T) {
		got, err := s.DoraBuckets(ctx, window)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "buckets", got, []store.DoraBucket{
			// v2@1150 (lead 1150-1100 from the report), v3@1310 (lead
			// 1310-1250 from the commit; the fix v4 restores it at 1750).
			{Environment: "dev", Index: 0, Deployments: 2, FromCommit: 1, LeadSeconds: 50 + 60, Failures: 1, RestoreSeconds: 1750 - 1310},
			// v4@1750 (lead 1750-1690); the rollback to v2 at 2050 is
			// after the window, and the noop and failed ones are none.
			{Environment: "dev", Index: 1, Deployments: 1, FromCommit: 1, LeadSeconds: 60},
			// v2@1200 (100, report), v3@1400 (150, commit; rolled back to
			// v2 at 1450), v2@1450 (350, report; v4 fixes v3, not v2).
			{Environment: "prod", Index: 0, Deployments: 3, FromCommit: 1, LeadSeconds: 100 + 150 + 350, Failures: 1, RestoreSeconds: 50},
			// v4@1800 (110, commit; rolled back to v1 at 1950), v1@1950
			// (1950-800, commit).
			{Environment: "prod", Index: 1, Deployments: 2, FromCommit: 2, LeadSeconds: 110 + 1150, Failures: 1, RestoreSeconds: 150},
		})
	})

	t.Run("one environment", func(t *testing.T) {
		f := window
		f.Environment, f.Bucket = "prod", time.Hour
		got, err := s.DoraBuckets(ctx, f)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "buckets", got, []store.DoraBucket{
			{Environment: "prod", Index: 0, Deployments: 5, FromCommit: 3, LeadSeconds: 600 + 1260, Failures: 2, RestoreSeconds: 200},
		})
	})

	t.Run("a restore after the window does not count", func(t *testing.T) {
		f := window
		f.To, f.Bucket = at(1420), time.Hour // v3@1400 is rolled back at 1450
		got, err := s.DoraBuckets(ctx, f)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "buckets", got, []store.DoraBucket{
			{Environment: "dev", Index: 0, Deployments: 2, FromCommit: 1, LeadSeconds: 110},
			{Environment: "prod", Index: 0, Deployments: 2, FromCommit: 1, LeadSeconds: 250},
		})
	})

	t.Run("an application without deployments has no buckets", func(t *testing.T) {
		f := window
		f.Application = "search"
		got, err := s.DoraBuckets(ctx, f)
		if err != nil || len(got) != 0 {
			t.Fatalf("DoraBuckets() = %v, %v; want none", got, err)
		}
	})

	t.Run("a bad window is refused", func(t *testing.T) {
		for name, f := range map[string]store.DoraFilter{
			"no application": {From: at(0), To: at(1), Bucket: time.Second},
			"empty window":   {Application: "payments", From: at(1), To: at(1), Bucket: time.Second},
			"no bucket":      {Application: "payments", From: at(0), To: at(1)},
			"too many":       {Application: "payments", From: at(0), To: at(1000), Bucket: time.Second},
		} {
			if _, err := s.DoraBuckets(ctx, f); derrors.KindOf(err) != derrors.Invalid {
				t.Errorf("%s: DoraBuckets() = %v, want an Invalid error", name, err)
			}
		}
	})

	t.Run("releases keep their source commit time and fix mark", func(t *testing.T) {
		r, err := s.GetRelease(ctx, "rel-v4")
		if err != nil {
			t.Fatalf("GetRelease() = %v", err)
		}
		if !r.SourceCommittedAt.Equal(store.Time(at(1690))) || r.Fixes != "rel-v3" {
			t.Errorf("GetRelease() = source committed %v, fixes %q; want %v, rel-v3", r.SourceCommittedAt, r.Fixes, at(1690))
		}
		r, err = s.GetRelease(ctx, "rel-v2")
		if err != nil || !r.SourceCommittedAt.IsZero() || r.Fixes != "" {
			t.Errorf("GetRelease(rel-v2) = %v, %q, %v; want zero, empty", r.SourceCommittedAt, r.Fixes, err)
		}
	})
	// Reindex writes history with ImportRelease: promotions imported,
	// under their release or under the stored release of the same image,
	// count as the reported ones do (the release's times and fix mark are
	// copied onto each promotion row as it is written).
	t.Run("an imported history counts as a reported one", func(t *testing.T) {
		want, err := s.DoraBuckets(ctx, window)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		imported := open(t)
		for _, h := range doraScript() {
			r, ps := h.r, h.ps
			if r.ID == "rel-v3" {
				// Stored first under its id; the import names another
				// id for the same image, and its promotions join the
				// stored release.
				mustCreateRelease(t, imported, r)
				r.ID = "rel-v3-reindexed"
				ps = slices.Clone(ps)
				for i := range ps {
					ps[i].ReleaseID = r.ID
				}
			}
			if _, err := imported.ImportRelease(ctx, r, ps); err != nil {
				t.Fatalf("ImportRelease(%s) = %v", r.ID, err)
			}
		}
		got, err := imported.DoraBuckets(ctx, window)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "buckets of the imported history", got, want)
	})
}
