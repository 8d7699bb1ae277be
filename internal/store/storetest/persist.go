package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

func testPersistence(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	r := rel("rel-1", "payments", "v1", at(0))
	p := prom("prm-1", r, "dev", promotion.StatePending, at(0))
	mustCreateRelease(t, s, r, p)
	claimed, err := s.ClaimDue(ctx, "worker-a", at(1), time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimDue() = %v, %v", claimed, err)
	}
	rec := store.IdemRecord{Scope: "s", Key: "k", RequestHash: "h", CreatedAt: at(0)}
	if _, _, err := s.PutIdempotency(ctx, rec); err != nil {
		t.Fatalf("PutIdempotency() = %v", err)
	}
	if err := s.CompleteIdempotency(ctx, "s", "k", 201, []byte("answer")); err != nil {
		t.Fatalf("CompleteIdempotency() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	// Reopening runs the migrations again: they must be no-ops.
	for i := 0; i < 2; i++ {
		s = open(t)
		got, err := s.GetRelease(ctx, r.ID)
		if err != nil {
			t.Fatalf("reopened %d: GetRelease() = %v", i, err)
		}
		equal(t, "release", got, storedRelease(r))
		equal(t, "promotion", mustGetPromotion(t, s, p.ID), claimed[0])
		idem, created, err := s.PutIdempotency(ctx, rec)
		if err != nil || created || !idem.Completed || string(idem.Body) != "answer" {
			t.Errorf("reopened %d: PutIdempotency() = %+v, created %v, %v; want the completed record", i, idem, created, err)
		}
		if _, created, err := s.CreateRelease(ctx, rel("rel-2", "payments", "v1", at(5)), nil); err != nil || created {
			t.Errorf("reopened %d: duplicate CreateRelease() = created %v, %v; want existing", i, created, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	}
}
