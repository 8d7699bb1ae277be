package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// BenchmarkListPromotions measures one filtered page of 50 out of 100,000
// promotions (20 applications × 5 environments × 8 states), first and deep.
func BenchmarkListPromotions(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ferry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	const total, perRelease = 100_000, 1000
	envs := []string{"dev", "qa", "stage", "prod", "dr"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	began := time.Now()
	for ri := 0; n < total; ri++ {
		app := fmt.Sprintf("app-%02d", ri%20)
		r := promotion.Release{
			ID: fmt.Sprintf("rel-%04d", ri), Application: app, Repository: "registry.example.com/" + app,
			Tag: fmt.Sprintf("v%d", ri), Digest: fmt.Sprintf("sha256:%064d", ri), CreatedAt: start.Add(time.Duration(ri) * time.Minute),
		}
		ps := make([]promotion.Promotion, 0, perRelease)
		for i := 0; i < perRelease; i++ {
			at := r.CreatedAt.Add(time.Duration(i) * time.Millisecond)
			ps = append(ps, promotion.Promotion{
				ID: fmt.Sprintf("prm-%07d", n), ReleaseID: r.ID, Application: app, Environment: envs[n%len(envs)],
				State: promotion.States[(n/len(envs))%len(promotion.States)], NextAttemptAt: at, CreatedAt: at, UpdatedAt: at,
			})
			n++
		}
		if _, _, err := s.CreateRelease(ctx, r, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d promotions in %s", n, time.Since(began).Round(time.Millisecond))

	for _, bc := range []struct {
		name string
		f    promotion.PromotionFilter
		deep bool // start 20 pages in
	}{
		{"unfiltered", promotion.PromotionFilter{}, false},
		{"application+environment", promotion.PromotionFilter{Application: "app-07", Environment: "prod"}, false},
		{"application+environment+state", promotion.PromotionFilter{Application: "app-07", Environment: "prod", State: promotion.StateMerged}, false},
		{"state/page20", promotion.PromotionFilter{State: promotion.StatePending}, true},
		{"environment+state/page20", promotion.PromotionFilter{Environment: "qa", State: promotion.StateFailed}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := bc.f
			f.Limit = 50
			if bc.deep {
				for i := 0; i < 20; i++ {
					page, err := s.ListPromotions(ctx, f)
					if err != nil || page.Next == "" {
						b.Fatalf("paging: %v, next %q", err, page.Next)
					}
					f.Cursor = page.Next
				}
			}
			for b.Loop() {
				page, err := s.ListPromotions(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) != 50 {
					b.Fatalf("got %d items, want 50", len(page.Items))
				}
			}
		})
	}
}
