package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

func testSetReleases(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("create stores the set, its releases and promotions; a stored member release is reused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		old := rel("rel-old", "payments", "v1", at(0))
		if _, _, err := s.CreateRelease(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		again := rel("rel-again", "payments", "v1", at(1)) // same image as rel-old
		checkout := rel("rel-co", "checkout", "v7", at(1))
		sr := promotion.SetRelease{ID: "set-1", Name: "shop", Applications: []string{"checkout", "payments"},
			Releases: []string{checkout.ID, again.ID}, ReportedBy: "ci", CreatedAt: at(1)}
		p1 := prom("prm-co", checkout, "dev", promotion.StatePending, at(1))
		p2 := prom("prm-pay", again, "dev", promotion.StatePending, at(1))
		p1.SetRelease, p2.SetRelease = sr.ID, sr.ID
		got, err := s.CreateSetRelease(ctx, sr, []promotion.Release{checkout, again}, []promotion.Promotion{p1, p2})
		if err != nil {
			t.Fatalf("CreateSetRelease() = %v", err)
		}
		if want := []string{"rel-co", "rel-old"}; !equalStrings(got.Releases, want) {
			t.Errorf("returned releases = %q, want %q (the stored payments release)", got.Releases, want)
		}
		stored, err := s.GetSetRelease(ctx, "set-1")
		if err != nil {
			t.Fatalf("GetSetRelease() = %v", err)
		}
		equal(t, "stored set release", stored, got)
		wantUTC(t, "set release", stored.CreatedAt)
		if _, err := s.GetRelease(ctx, "rel-again"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetRelease(rel-again) = %v, want not found (the stored one is used)", err)
		}
		if gp := mustGetPromotion(t, s, "prm-pay"); gp.ReleaseID != "rel-old" || gp.SetRelease != "set-1" {
			t.Errorf("payments promotion = release %q set %q, want rel-old set-1", gp.ReleaseID, gp.SetRelease)
		}
		page, err := s.ListPromotions(ctx, promotion.PromotionFilter{SetRelease: "set-1"})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("ListPromotions(set-1) = %d items, %v; want 2", len(page.Items), err)
		}
	})

	t.Run("a failing write stores nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		checkout := rel("rel-co", "checkout", "v7", at(1))
		sr := promotion.SetRelease{ID: "set-1", Name: "shop", Applications: []string{"checkout"}, Releases: []string{checkout.ID}, CreatedAt: at(1)}
		p := prom("prm-co", checkout, "dev", promotion.StatePending, at(1))
		dup := p // the same promotion id twice: the second insert fails
		if _, err := s.CreateSetRelease(ctx, sr, []promotion.Release{checkout}, []promotion.Promotion{p, dup}); err == nil {
			t.Fatal("CreateSetRelease(duplicate promotion) = nil, want an error")
		}
		if _, err := s.GetRelease(ctx, checkout.ID); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetRelease after the failed set = %v, want not found", err)
		}
		if _, err := s.GetSetRelease(ctx, "set-1"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetSetRelease after the failure = %v, want not found", err)
		}
	})

	t.Run("create promotions is all or none", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-co", "checkout", "v7", at(1))
		mustCreateRelease(t, s, r)
		a, b := prom("prm-a", r, "stage", promotion.StatePending, at(2)), prom("prm-b", r, "stage", promotion.StatePending, at(2))
		bad := prom("prm-c", r, "stage", promotion.StatePending, at(2))
		bad.ReleaseID = "rel-unknown"
		if err := s.CreatePromotions(ctx, []promotion.Promotion{a, bad}, nil); err == nil {
			t.Fatal("CreatePromotions(unknown release) = nil, want an error")
		}
		if _, err := s.GetPromotion(ctx, "prm-a"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetPromotion(prm-a) after the failure = %v, want not found", err)
		}
		if err := s.CreatePromotions(ctx, []promotion.Promotion{a, b}, nil); err != nil {
			t.Fatalf("CreatePromotions() = %v", err)
		}
		equal(t, "stored promotion", mustGetPromotion(t, s, "prm-b"), storedPromotion(b))
	})

	t.Run("list is newest first, by name, paged", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, name := range []string{"shop", "web", "shop"} {
			r := rel("rel-"+string(rune('a'+i)), "checkout", "v"+string(rune('a'+i)), at(i))
			sr := promotion.SetRelease{ID: "set-" + string(rune('a'+i)), Name: name, Applications: []string{"checkout"}, Releases: []string{r.ID}, CreatedAt: at(i)}
			if _, err := s.CreateSetRelease(ctx, sr, []promotion.Release{r}, nil); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.ListSetReleases(ctx, promotion.SetReleaseFilter{Name: "shop", Limit: 1})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != "set-c" || page.Next == "" {
			t.Fatalf("first page = %+v, %v; want set-c and a next cursor", page, err)
		}
		page, err = s.ListSetReleases(ctx, promotion.SetReleaseFilter{Name: "shop", Limit: 1, Cursor: page.Next})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != "set-a" || page.Next != "" {
			t.Fatalf("second page = %+v, %v; want set-a, last", page, err)
		}
		all, err := s.ListSetReleases(ctx, promotion.SetReleaseFilter{})
		if err != nil || len(all.Items) != 3 {
			t.Fatalf("all = %d, %v; want 3", len(all.Items), err)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
