package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// TestUpgradeFrom0001 opens a database that the first schema wrote: its
// promotions read back with the new fields empty and no history, the
// waiting one is claimed, and changes from then on are recorded.
func TestUpgradeFrom0001(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ferry.db")
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations(sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyAll(ctx, db, ms[:1]); err != nil {
		t.Fatalf("applying %s: %v", ms[0].Name, err)
	}
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO releases (id, application, repository, tag, digest, created_at)
		 VALUES ('rel-1', 'payments', 'registry.example.com/payments', 'v1', 'sha256:1', ?1)`,
		`INSERT INTO promotions (id, release_id, application, environment, state, reason, next_attempt_at, lease_until, created_at, updated_at)
		 VALUES ('prm-1', 'rel-1', 'payments', 'prod', 'waiting', 'soak time', ?1, ?2, ?1, ?1)`,
	} {
		if _, err := db.ExecContext(ctx, q, micros(created), micros(time.Time{})); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer s.Close()
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
