package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
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
