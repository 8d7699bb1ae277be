package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// CheckUpgradeFrom0001 checks s, opened on a database that the first schema
// wrote with release rel-1 and its waiting promotion prm-1 of payments to
// prod ("soak time", created, due and updated at created): the promotion
// reads back with the new fields empty and no history, is claimed, and its
// changes from then on are recorded.
func CheckUpgradeFrom0001(t *testing.T, s Store, created time.Time) {
	t.Helper()
	ctx := context.Background()
	want := promotion.Promotion{
		ID: "prm-1", ReleaseID: "rel-1", Application: "payments", Environment: "prod",
		State: promotion.StateWaiting, Reason: "soak time", NextAttemptAt: created, CreatedAt: created, UpdatedAt: created,
	}
	p, err := s.GetPromotion(ctx, "prm-1")
	if err != nil || !reflect.DeepEqual(p, want) {
		t.Fatalf("GetPromotion() = %+v, %v; want %+v", p, err, want)
	}
	if trs, err := s.Transitions(ctx, "prm-1"); err != nil || len(trs) != 0 {
		t.Errorf("Transitions() = %+v, %v; want none, nil", trs, err)
	}
	claimed, err := s.ClaimDue(ctx, "worker-a", created, time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "prm-1" {
		t.Fatalf("ClaimDue() = %+v, %v; want prm-1", claimed, err)
	}
	p = claimed[0]
	p.State, p.Reason, p.UpdatedAt = promotion.StatePending, "", created.Add(time.Second)
	if err := s.UpdatePromotion(ctx, "worker-a", p); err != nil {
		t.Fatalf("UpdatePromotion() = %v", err)
	}
	trs, err := s.Transitions(ctx, "prm-1")
	wantTr := promotion.Transition{PromotionID: "prm-1", At: p.UpdatedAt, State: promotion.StatePending, Actor: "ferry"}
	if err != nil || len(trs) != 1 || trs[0] != wantTr {
		t.Errorf("Transitions() = %+v, %v; want [%+v]", trs, err, wantTr)
	}
}

// CheckDoraBackfill checks s, opened on a database that schema 0014 (before
// migration 0015 copied each release's DORA facts onto its promotions)
// wrote with the history below, at seconds after base: the migration
// backfilled the copies, so the DORA sums are what they were computed
// from the releases, and a promotion written after it (the rollback to
// rel-d1 at 1700) mixes with the backfilled ones.
//
//	release  reported  source commit  fixes
//	rel-d1   900       800
//	rel-d2   1100      (none)         rel-d1
//
//	prod: rel-d1 merged@1000 (prm-d1), rel-d2 committed@1500 (prm-d2)
func CheckDoraBackfill(t *testing.T, s Store, base time.Time) {
	t.Helper()
	ctx := context.Background()
	sec := func(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }
	f := store.DoraFilter{Application: "payments", From: sec(0), To: sec(2000), Bucket: 2000 * time.Second}
	got, err := s.DoraBuckets(ctx, f)
	if err != nil {
		t.Fatalf("DoraBuckets() = %v", err)
	}
	// rel-d1@1000: lead 200 from its commit; rel-d2 fixes it at 1500
	// (restore 500). rel-d2@1500: lead 400 from its report.
	equal(t, "backfilled buckets", got, []store.DoraBucket{
		{Environment: "prod", Index: 0, Deployments: 2, FromCommit: 1, LeadSeconds: 200 + 400, Failures: 1, RestoreSeconds: 500},
	})
	r1, err := s.GetRelease(ctx, "rel-d1")
	if err != nil {
		t.Fatalf("GetRelease() = %v", err)
	}
	p := prom("prm-d3", r1, "prod", promotion.StateCommitted, sec(1650))
	p.UpdatedAt = sec(1700)
	mustCreatePromotion(t, s, p)
	got, err = s.DoraBuckets(ctx, f)
	if err != nil {
		t.Fatalf("DoraBuckets() = %v", err)
	}
	// The rollback to rel-d1 (reported before rel-d2) at 1700 marks
	// rel-d2@1500 failed (restore 200); its own lead is 1700-800.
	equal(t, "buckets after a new deployment", got, []store.DoraBucket{
		{Environment: "prod", Index: 0, Deployments: 3, FromCommit: 2, LeadSeconds: 200 + 400 + 900, Failures: 2, RestoreSeconds: 500 + 200},
	})
}
