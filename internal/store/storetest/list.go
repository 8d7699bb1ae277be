package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// fixture is a store holding releases and promotions of two applications
// across three environments and several states, many sharing a creation
// time, so that order ties are broken by id.
type fixture struct {
	releases   []promotion.Release
	promotions []promotion.Promotion
}

func seed(t *testing.T, s Store) fixture {
	t.Helper()
	var f fixture
	states := []promotion.State{promotion.StatePending, promotion.StateCommitted, promotion.StateFailed, promotion.StatePROpen}
	n := 0
	for ri, app := range []string{"payments", "billing", "payments", "billing", "payments"} {
		r := rel(fmt.Sprintf("rel-%02d", ri), app, fmt.Sprintf("v%d", ri), at(ri*10))
		var ps []promotion.Promotion
		for ei, env := range []string{"dev", "stage", "prod"} {
			for k := 0; k < 2; k++ {
				// Release 1's promotions all share one creation time.
				created := at(ri*10 + ei*2 + k)
				if ri == 1 {
					created = at(ri * 10)
				}
				p := prom(fmt.Sprintf("prm-%03d", 100-n), r, env, states[n%len(states)], created)
				if p.State == promotion.StatePROpen {
					// Numbers repeat: a newer release reuses the open
					// PR of its application and environment.
					p.PRNumber = n%3 + 1
					p.PRURL = fmt.Sprintf("https://git.example.com/acme/env/pull/%d", p.PRNumber)
				}
				ps = append(ps, p)
				n++
			}
		}
		mustCreateRelease(t, s, r, ps...)
		f.releases = append(f.releases, storedRelease(r))
		for _, p := range ps {
			f.promotions = append(f.promotions, storedPromotion(p))
		}
	}
	return f
}

// newestFirst orders by (CreatedAt, ID) descending, as lists do.
func newestFirst(a, b promotion.Promotion) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// expect returns what ListPromotions must return for f, all pages joined.
func (fx fixture) expect(f promotion.PromotionFilter) []promotion.Promotion {
	var out []promotion.Promotion
	for _, p := range fx.promotions {
		if (f.Application == "" || p.Application == f.Application) &&
			(f.Environment == "" || p.Environment == f.Environment) &&
			(f.State == "" || p.State == f.State) &&
			(f.ReleaseID == "" || p.ReleaseID == f.ReleaseID) &&
			(f.PRNumber == 0 || p.PRNumber == f.PRNumber) &&
			(f.Since.IsZero() || !p.CreatedAt.Before(f.Since)) &&
			(f.Until.IsZero() || p.CreatedAt.Before(f.Until)) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out
}

// halfBefore is half a second before the fixture's time n: a bound that
// falls between rows, whatever precision a driver stores.
func halfBefore(n int) time.Time { return at(n).Add(-500 * time.Millisecond) }

// listAll pages through ListPromotions with f.Limit rows per page.
func listAll(t *testing.T, s Store, f promotion.PromotionFilter) (items []promotion.Promotion, pages int) {
	t.Helper()
	for {
		page, err := s.ListPromotions(context.Background(), f)
		if err != nil {
			t.Fatalf("ListPromotions(%+v) = %v", f, err)
		}
		pages++
		if f.Limit > 0 && len(page.Items) > f.Limit {
			t.Fatalf("page of %d items, limit %d", len(page.Items), f.Limit)
		}
		items = append(items, page.Items...)
		if page.Next == "" {
			return items, pages
		}
		if len(page.Items) == 0 {
			t.Fatalf("empty page with a next cursor")
		}
		if pages > 1000 {
			t.Fatalf("pagination does not end")
		}
		f.Cursor = page.Next
	}
}

func testListPromotions(t *testing.T, open func(*testing.T) Store) {
	s := open(t)
	fx := seed(t, s)
	for _, tc := range []struct {
		name string
		f    promotion.PromotionFilter
	}{
		{"no filter", promotion.PromotionFilter{}},
		{"application", promotion.PromotionFilter{Application: "billing"}},
		{"environment", promotion.PromotionFilter{Environment: "prod"}},
		{"state", promotion.PromotionFilter{State: promotion.StateFailed}},
		{"release", promotion.PromotionFilter{ReleaseID: "rel-02"}},
		{"application and environment", promotion.PromotionFilter{Application: "payments", Environment: "stage"}},
		{"application, environment and state", promotion.PromotionFilter{Application: "payments", Environment: "dev", State: promotion.StatePending}},
		{"environment and state", promotion.PromotionFilter{Environment: "dev", State: promotion.StateCommitted}},
		{"all four", promotion.PromotionFilter{Application: "billing", Environment: "prod", State: promotion.StateFailed, ReleaseID: "rel-01"}},
		{"release of another application", promotion.PromotionFilter{Application: "billing", ReleaseID: "rel-02"}},
		{"pull request", promotion.PromotionFilter{PRNumber: 2}},
		{"pull request of an application and environment", promotion.PromotionFilter{Application: "payments", Environment: "stage", PRNumber: 1}},
		{"pull request and state", promotion.PromotionFilter{PRNumber: 3, State: promotion.StatePROpen}},
		{"pull request of another application", promotion.PromotionFilter{Application: "billing", Environment: "stage", PRNumber: 1}},
		{"since", promotion.PromotionFilter{Since: halfBefore(21)}},
		{"until", promotion.PromotionFilter{Until: halfBefore(10)}},
		{"since and until around a shared time", promotion.PromotionFilter{Since: halfBefore(10), Until: halfBefore(11)}},
		{"since and until of one instant, exactly", promotion.PromotionFilter{Since: store.Time(at(21)), Until: store.Time(at(22))}},
		{"since and until in nanoseconds", promotion.PromotionFilter{Since: at(21), Until: at(23)}},
		{"application in a time range", promotion.PromotionFilter{Application: "payments", Since: halfBefore(3), Until: halfBefore(25)}},
		{"no match", promotion.PromotionFilter{Environment: "moon"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := fx.expect(tc.f)
			page, err := s.ListPromotions(context.Background(), tc.f)
			if err != nil {
				t.Fatalf("ListPromotions() = %v", err)
			}
			if page.Next != "" {
				t.Errorf("Next = %q, want \"\": all %d rows fit the default page", page.Next, len(want))
			}
			if want == nil {
				want = []promotion.Promotion{}
			}
			equal(t, "ids", ids(page.Items, promotionID), ids(want, promotionID))
			equal(t, "items", page.Items, want)
			if len(want) == 0 && tc.name != "no match" && tc.name != "release of another application" &&
				tc.name != "pull request of another application" {
				t.Errorf("fixture has no rows for %s: the case tests nothing", tc.name)
			}
		})
	}
}

func testListReleases(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	fx := seed(t, s)
	// Two more releases created at the same time as rel-04, to tie on time.
	for _, id := range []string{"rel-05", "rel-06"} {
		r := rel(id, "payments", "tie-"+id, fx.releases[4].CreatedAt)
		mustCreateRelease(t, s, r)
		fx.releases = append(fx.releases, storedRelease(r))
	}
	for _, tc := range []struct {
		name string
		f    promotion.ReleaseFilter
		want []string
	}{
		{"all", promotion.ReleaseFilter{}, []string{"rel-06", "rel-05", "rel-04", "rel-03", "rel-02", "rel-01", "rel-00"}},
		{"application", promotion.ReleaseFilter{Application: "payments"}, []string{"rel-06", "rel-05", "rel-04", "rel-02", "rel-00"}},
		{"application, pages of 2", promotion.ReleaseFilter{Application: "payments", Limit: 2}, []string{"rel-06", "rel-05", "rel-04", "rel-02", "rel-00"}},
		{"all, pages of 3", promotion.ReleaseFilter{Limit: 3}, []string{"rel-06", "rel-05", "rel-04", "rel-03", "rel-02", "rel-01", "rel-00"}},
		{"no match", promotion.ReleaseFilter{Application: "nope"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{}
			f := tc.f
			for i := 0; ; i++ {
				page, err := s.ListReleases(ctx, f)
				if err != nil {
					t.Fatalf("ListReleases(%+v) = %v", f, err)
				}
				if f.Limit > 0 && len(page.Items) > f.Limit {
					t.Fatalf("page of %d, limit %d", len(page.Items), f.Limit)
				}
				got = append(got, ids(page.Items, releaseID)...)
				if page.Next == "" || i > 100 {
					break
				}
				f.Cursor = page.Next
			}
			equal(t, "release ids", got, tc.want)
		})
	}
	t.Run("items are the stored releases", func(t *testing.T) {
		page, err := s.ListReleases(ctx, promotion.ReleaseFilter{Application: "billing"})
		if err != nil {
			t.Fatalf("ListReleases() = %v", err)
		}
		equal(t, "items", page.Items, []promotion.Release{fx.releases[3], fx.releases[1]})
	})
}

func testPagination(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	fx := seed(t, s)

	for _, tc := range []struct {
		name string
		f    promotion.PromotionFilter
	}{
		{"pages of 1", promotion.PromotionFilter{Limit: 1}},
		{"pages of 4 across tied times", promotion.PromotionFilter{Limit: 4}},
		{"pages of 7 filtered", promotion.PromotionFilter{Application: "billing", Limit: 7}},
		{"pages of 2, two filters", promotion.PromotionFilter{Application: "payments", Environment: "prod", Limit: 2}},
		{"pages of 1, pull request", promotion.PromotionFilter{Application: "payments", Environment: "stage", PRNumber: 1, Limit: 1}},
		{"exact fit", promotion.PromotionFilter{Limit: len(fx.promotions)}},
		{"max limit", promotion.PromotionFilter{Limit: 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := fx.expect(tc.f)
			got, pages := listAll(t, s, tc.f)
			equal(t, "ids across pages", ids(got, promotionID), ids(want, promotionID))
			if wantPages := max(1, (len(want)+tc.f.Limit-1)/tc.f.Limit); pages != wantPages {
				t.Errorf("pages = %d, want %d", pages, wantPages)
			}
		})
	}

	t.Run("rows created between pages do not shift later pages", func(t *testing.T) {
		s := open(t)
		fx := seed(t, s)
		f := promotion.PromotionFilter{Limit: 5}
		first, err := s.ListPromotions(ctx, f)
		if err != nil {
			t.Fatalf("ListPromotions() = %v", err)
		}
		r := rel("rel-late", "payments", "late", at(1000))
		mustCreateRelease(t, s, r, prom("prm-late", r, "dev", promotion.StatePending, at(1000)))
		f.Cursor = first.Next
		rest, _ := listAll(t, s, f)
		got := append(ids(first.Items, promotionID), ids(rest, promotionID)...)
		equal(t, "ids", got, ids(fx.expect(promotion.PromotionFilter{}), promotionID))
	})

	t.Run("default limit is 50", func(t *testing.T) {
		s := open(t)
		r := rel("rel-many", "payments", "v1", at(0))
		var ps []promotion.Promotion
		for i := 0; i < 51; i++ {
			ps = append(ps, prom(fmt.Sprintf("prm-%03d", i), r, "dev", promotion.StatePending, at(i)))
		}
		mustCreateRelease(t, s, r, ps...)
		page, err := s.ListPromotions(ctx, promotion.PromotionFilter{})
		if err != nil {
			t.Fatalf("ListPromotions() = %v", err)
		}
		if len(page.Items) != 50 || page.Next == "" {
			t.Errorf("got %d items, next %q; want 50 and a cursor", len(page.Items), page.Next)
		}
		next, err := s.ListPromotions(ctx, promotion.PromotionFilter{Cursor: page.Next})
		if err != nil {
			t.Fatalf("ListPromotions(next) = %v", err)
		}
		equal(t, "last page", ids(next.Items, promotionID), []string{"prm-000"})
		equal(t, "last next", next.Next, "")
	})

	t.Run("bad limits are invalid", func(t *testing.T) {
		for _, n := range []int{-1, 501} {
			_, err := s.ListPromotions(ctx, promotion.PromotionFilter{Limit: n})
			wantKind(t, fmt.Sprintf("ListPromotions(limit %d)", n), err, derrors.Invalid, "invalid_limit")
			_, err = s.ListReleases(ctx, promotion.ReleaseFilter{Limit: n})
			wantKind(t, fmt.Sprintf("ListReleases(limit %d)", n), err, derrors.Invalid, "invalid_limit")
		}
	})

	t.Run("unknown state is invalid", func(t *testing.T) {
		_, err := s.ListPromotions(ctx, promotion.PromotionFilter{State: "shipping"})
		wantKind(t, "ListPromotions(state shipping)", err, derrors.Invalid, "invalid_state")
	})

	t.Run("bad cursors are invalid", func(t *testing.T) {
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, tc := range []struct{ name, cursor string }{
			{"not base64", "!!not base64!!"},
			{"no separator", b64("1700000000000000")},
			{"no id", b64("1700000000000000 ")},
			{"time not a number", b64("yesterday prm-1")},
			{"padded standard base64 of garbage", base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe})},
		} {
			_, err := s.ListPromotions(ctx, promotion.PromotionFilter{Cursor: tc.cursor})
			wantKind(t, "ListPromotions("+tc.name+")", err, derrors.Invalid, "invalid_cursor")
			_, err = s.ListReleases(ctx, promotion.ReleaseFilter{Cursor: tc.cursor})
			wantKind(t, "ListReleases("+tc.name+")", err, derrors.Invalid, "invalid_cursor")
		}
	})
}
