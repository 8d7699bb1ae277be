package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// testClosed checks that a store closed under its callers (a pool closed
// mid-way, as in a shutdown) answers every call with the domain error of a
// store that cannot answer now, store_unavailable, and not an internal one:
// the classification is the driver's, once, so every path gets it.
func testClosed(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	r := rel("rel-1", "payments", "v1", at(0))
	p := prom("prm-1", r, "dev", promotion.StatePending, at(0))
	mustCreateRelease(t, s, r, p)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	r2 := rel("rel-2", "payments", "v2", at(1))
	calls := map[string]func() error{
		"Ping":                func() error { return s.Ping(ctx) },
		"GetRelease":          func() error { _, err := s.GetRelease(ctx, r.ID); return err },
		"FindReleaseByDigest": func() error { _, err := s.FindReleaseByDigest(ctx, r.Application, r.Digest); return err },
		"ListReleases":        func() error { _, err := s.ListReleases(ctx, promotion.ReleaseFilter{}); return err },
		"CreateRelease":       func() error { _, _, err := s.CreateRelease(ctx, r2, nil); return err },
		"GetPromotion":        func() error { _, err := s.GetPromotion(ctx, p.ID); return err },
		"ListPromotions":      func() error { _, err := s.ListPromotions(ctx, promotion.PromotionFilter{}); return err },
		"UpdatePromotion":     func() error { return s.UpdatePromotion(ctx, "", p) },
		"ClaimDue":            func() error { _, err := s.ClaimDue(ctx, "w", at(2), time.Minute, 10); return err },
		"Wake":                func() error { return s.Wake(ctx, p.ID, at(3)) },
		"Transitions":         func() error { _, err := s.Transitions(ctx, p.ID); return err },
		"ImportRelease":       func() error { _, err := s.ImportRelease(ctx, r2, nil); return err },
		"PutIdempotency": func() error {
			_, _, err := s.PutIdempotency(ctx, store.IdemRecord{Scope: "s", Key: "k", RequestHash: "h"})
			return err
		},
		"DeleteIdempotencyBefore": func() error { _, err := s.DeleteIdempotencyBefore(ctx, at(4)); return err },
	}
	for name, call := range calls {
		err := call()
		if e, ok := derrors.As(err); !ok || e.Kind != derrors.Unavailable || e.Code != "store_unavailable" {
			t.Errorf("%s on a closed store = %v, want a derrors.Unavailable error with code store_unavailable", name, err)
		}
	}
}
