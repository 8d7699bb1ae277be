package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// shopMembers are the members of the set the formation tests form.
var shopMembers = []string{"checkout", "payments", "notifier"}

// formationOf is the set release a member's completion in dev would form,
// with its promotions into stage.
func formationOf(id string, n int) promotion.SetFormation {
	f := promotion.SetFormation{Entry: "dev", Set: promotion.SetRelease{ID: id, Name: "shop", Applications: shopMembers,
		ReportedBy: "ferry", CreatedAt: at(n), Formed: promotion.FormedMembers}}
	for _, app := range shopMembers {
		f.Next = append(f.Next, promotion.Promotion{ID: id + "-" + app + "-stage", Application: app, Environment: "stage",
			State: promotion.StatePending, NextAttemptAt: at(n), CreatedAt: at(n), UpdatedAt: at(n), RequestedBy: "ferry"})
	}
	return f
}

// completed returns p as a worker completes it at n.
func completed(p promotion.Promotion, n int) promotion.Promotion {
	p.State, p.CommitSHA, p.UpdatedAt, p.NextAttemptAt = promotion.StateCommitted, "c0ffee", at(n), at(n)
	return p
}

func setReleasesOf(t *testing.T, s Store, name string) []promotion.SetRelease {
	t.Helper()
	page, err := s.ListSetReleases(context.Background(), promotion.SetReleaseFilter{Name: name})
	if err != nil {
		t.Fatalf("ListSetReleases(%s) = %v", name, err)
	}
	return page.Items
}

func testSetFormation(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("the last member completing in the entry forms the set from each member's newest release there", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		co := rel("rel-co", "checkout", "2.0.0", at(0))
		pay0, pay1 := rel("rel-pay0", "payments", "1.9.0", at(0)), rel("rel-pay1", "payments", "2.0.0", at(1))
		no := rel("rel-no", "notifier", "2.0.0", at(2))
		mustCreateRelease(t, s, co, completed(prom("prm-co", co, "dev", promotion.StatePending, at(0)), 1))
		mustCreateRelease(t, s, pay0, completed(prom("prm-pay0", pay0, "dev", promotion.StatePending, at(0)), 1))
		mustCreateRelease(t, s, pay1, prom("prm-pay1", pay1, "dev", promotion.StatePending, at(1)))
		mustCreateRelease(t, s, no, prom("prm-no", no, "dev", promotion.StatePending, at(2)))
		stale := rel("rel-co-stage", "checkout", "1.0.0", at(0)) // completed in stage, not dev: does not count
		mustCreateRelease(t, s, stale, completed(prom("prm-co-stage", stale, "stage", promotion.StatePending, at(0)), 9))

		// payments completes: notifier has nothing in dev yet.
		if sr, formed, err := s.CompleteFormingSet(ctx, "", completed(prom("prm-pay1", pay1, "dev", promotion.StatePending, at(1)), 3), formationOf("set-early", 3)); err != nil || formed {
			t.Fatalf("CompleteFormingSet(payments) = %+v, %v, %v; want not formed", sr, formed, err)
		}
		if got := mustGetPromotion(t, s, "prm-pay1"); got.State != promotion.StateCommitted {
			t.Errorf("payments promotion %s, want committed even though no set formed", got.State)
		}
		if got := setReleasesOf(t, s, "shop"); len(got) != 0 {
			t.Fatalf("set releases before notifier completed: %+v", got)
		}

		// notifier completes: the set forms, with payments' newest release.
		sr, formed, err := s.CompleteFormingSet(ctx, "", completed(prom("prm-no", no, "dev", promotion.StatePending, at(2)), 4), formationOf("set-1", 4))
		if err != nil || !formed {
			t.Fatalf("CompleteFormingSet(notifier) = %v, %v; want formed", formed, err)
		}
		if want := []string{"rel-co", "rel-pay1", "rel-no"}; !equalStrings(sr.Releases, want) {
			t.Errorf("formed releases %q, want %q", sr.Releases, want)
		}
		stored, err := s.GetSetRelease(ctx, "set-1")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "stored formed set release", stored, sr)
		if stored.Formed != promotion.FormedMembers || stored.ReportedBy != "ferry" {
			t.Errorf("formed %q by %q, want members by ferry", stored.Formed, stored.ReportedBy)
		}
		wantUTC(t, "formed set release", stored.CreatedAt)
		if got := mustGetPromotion(t, s, "prm-no"); got.State != promotion.StateCommitted {
			t.Errorf("notifier promotion %s, want committed", got.State)
		}
		page, err := s.ListPromotions(ctx, promotion.PromotionFilter{SetRelease: "set-1", Limit: 10})
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("promotions of the formed set = %d, %v; want 3", len(page.Items), err)
		}
		for _, p := range page.Items {
			if want, _ := sr.ReleaseOf(p.Application); p.ReleaseID != want || p.Environment != "stage" || p.State != promotion.StatePending {
				t.Errorf("%s: release %s into %s %s, want %s into stage pending", p.Application, p.ReleaseID, p.Environment, p.State, want)
			}
			if trs, err := s.Transitions(ctx, p.ID); err != nil || len(trs) != 1 {
				t.Errorf("%s: transitions %v, %v; want its first", p.ID, trs, err)
			}
		}

		// The same releases completing again form nothing more.
		again := completed(prom("prm-no-again", no, "dev", promotion.StatePending, at(5)), 5)
		mustCreatePromotion(t, s, prom("prm-no-again", no, "dev", promotion.StatePending, at(5)))
		if _, formed, err := s.CompleteFormingSet(ctx, "", again, formationOf("set-2", 5)); err != nil || formed {
			t.Fatalf("CompleteFormingSet(same releases) = %v, %v; want not formed", formed, err)
		}
		if got := setReleasesOf(t, s, "shop"); len(got) != 1 {
			t.Errorf("set releases after the same releases completed again: %d, want 1", len(got))
		}
		if _, err := s.GetPromotion(ctx, "set-2-checkout-stage"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("promotion of the unformed set = %v, want not found", err)
		}
	})

	t.Run("a set release CI reported with the same releases is not formed again", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var rels []promotion.Release
		for _, app := range shopMembers {
			rels = append(rels, rel("rel-"+app, app, "3.0.0", at(0)))
		}
		reported := promotion.SetRelease{ID: "set-reported", Name: "shop", Applications: shopMembers,
			Releases: []string{"rel-checkout", "rel-payments", "rel-notifier"}, ReportedBy: "ci", CreatedAt: at(0)}
		var ps []promotion.Promotion
		for _, r := range rels {
			ps = append(ps, completed(prom("prm-"+r.Application, r, "dev", promotion.StatePending, at(0)), 1))
		}
		got, err := s.CreateSetRelease(ctx, reported, rels, ps)
		if err != nil || got.Formed != promotion.FormedReported {
			t.Fatalf("CreateSetRelease = %+v, %v; want formed reported", got, err)
		}
		own := prom("prm-own", rels[0], "dev", promotion.StatePending, at(2)) // checkout's own promotion, same release
		mustCreatePromotion(t, s, own)
		if _, formed, err := s.CompleteFormingSet(ctx, "", completed(own, 3), formationOf("set-formed", 3)); err != nil || formed {
			t.Fatalf("CompleteFormingSet = %v, %v; want not formed (set-reported has these releases)", formed, err)
		}
	})

	t.Run("a failing formation writes nothing, the completion included", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, app := range shopMembers {
			r := rel("rel-"+app, app, "1.0.0", at(0))
			mustCreateRelease(t, s, r, prom("prm-"+app, r, "dev", promotion.StatePending, at(0)))
		}
		f := formationOf("set-bad", 2)
		f.Next[2].ID = f.Next[1].ID // a taken id: the third insert fails
		p := completed(mustGetPromotion(t, s, "prm-notifier"), 2)
		for _, app := range shopMembers[:2] {
			if err := s.UpdatePromotion(ctx, "", completed(mustGetPromotion(t, s, "prm-"+app), 1)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.CompleteFormingSet(ctx, "", p, f); err == nil {
			t.Fatal("CompleteFormingSet(taken promotion id) = nil, want an error")
		}
		if got := mustGetPromotion(t, s, "prm-notifier"); got.State != promotion.StatePending {
			t.Errorf("notifier after the failed formation: %s, want pending", got.State)
		}
		if _, err := s.GetSetRelease(ctx, "set-bad"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetSetRelease after the failure = %v, want not found", err)
		}
	})

	t.Run("two members completing at once form the set once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, app := range shopMembers {
			r := rel("rel-"+app, app, "1.0.0", at(0))
			mustCreateRelease(t, s, r, prom("prm-"+app, r, "dev", promotion.StatePending, at(0)))
		}
		if err := s.UpdatePromotion(ctx, "", completed(mustGetPromotion(t, s, "prm-checkout"), 1)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		formed := make([]bool, 2)
		for i, app := range shopMembers[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := completed(mustGetPromotion(t, s, "prm-"+app), 2)
				var err error
				if _, formed[i], err = s.CompleteFormingSet(ctx, "", p, formationOf("set-"+app, 2)); err != nil {
					t.Errorf("CompleteFormingSet(%s) = %v", app, err)
				}
			}()
		}
		wg.Wait()
		if got := setReleasesOf(t, s, "shop"); len(got) != 1 || formed[0] == formed[1] {
			t.Errorf("set releases formed %v: %d, want exactly one", formed, len(got))
		}
	})

	t.Run("promotions and their pins are stored together, or neither", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-co", "checkout", "1.0.0", at(0))
		mustCreateRelease(t, s, r)
		old := pin("pin-old", r, "prod", "alice", 1)
		if err := s.CreatePin(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		p := prom("prm-back", r, "prod", promotion.StatePending, at(2))
		bad := prom("prm-bad", r, "prod", promotion.StatePending, at(2))
		bad.ReleaseID = "rel-unknown"
		np := pin("pin-new", r, "prod", "bob", 2)
		np.PromotionID = p.ID
		if err := s.CreatePromotions(ctx, []promotion.Promotion{p, bad}, []promotion.Pin{np}); err == nil {
			t.Fatal("CreatePromotions(unknown release) = nil, want an error")
		}
		if got, err := s.ActivePin(ctx, "checkout", "prod"); err != nil || got.ID != "pin-old" {
			t.Errorf("active pin after the failure = %+v, %v; want pin-old still", got, err)
		}
		if err := s.CreatePromotions(ctx, []promotion.Promotion{p}, []promotion.Pin{np}); err != nil {
			t.Fatalf("CreatePromotions = %v", err)
		}
		got, err := s.ActivePin(ctx, "checkout", "prod")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "active pin", got, storedPin(np))
		pins, err := s.ListPins(ctx, promotion.PinFilter{Application: "checkout", Environment: "prod", Ended: true})
		if err != nil || len(pins) != 2 {
			t.Fatalf("pins = %+v, %v; want pin-new and pin-old", pins, err)
		}
		for _, p := range pins {
			if p.ID == "pin-old" && (p.Active || p.EndReason != "replaced by pin pin-new") {
				t.Errorf("pin-old = %+v, want ended, replaced by pin-new", p)
			}
		}
		equal(t, "promotion", mustGetPromotion(t, s, p.ID), storedPromotion(p))
	})
}
