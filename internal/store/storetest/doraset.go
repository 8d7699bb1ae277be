package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// testDoraSet stores a scripted history of the release set shop (checkout
// and payments; times are seconds after base) and checks the sums of its
// set deployments, worked out by hand:
//
//	set release  formed  checkout (report, commit, fixes)  payments
//	s1           100     co1 100, 50                        pay1 100, 80
//	s2           300     co2 300, none                      pay2 300, 290
//	s3           500     co3 500, 490                       pay3 500, 495
//	s4           800     co4 800, 790, fixes pay1           pay4 800, 940
//
//	dev:  s1 round@105: co1@150 pay1@160                  deployed@160, lead 160-50
//	prod: s1 round@110: co1@200 pay1@220                  deployed@220, lead 220-50
//	      s2 round@310: co2@400 pay2 no-op@405           deployed@405, lead 405-300 (report: co2 has no commit)
//	      s3 round@510: co3@600 pay3 failed@610          not deployed
//	      s1 round@700 (rollback): co1@750 pay1@760       deployed@760, lead 760-50; restores s2 (355)
//	      checkout alone@850 (no set)                     not a set deployment
//	      s4 round@810: co4@900 pay4@950                  deployed@950, lead 950-790; fixes s1@760 (190)
func testDoraSet(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	rels := map[string]promotion.Release{}
	newRel := func(id, app, tag string, reported, committed int, fixes string) promotion.Release {
		r := rel(id, app, tag, at(reported))
		if committed > 0 {
			r.SourceCommittedAt = at(committed)
		}
		r.Fixes = fixes
		rels[id] = r
		return r
	}
	n := 0
	round := func(set, env string, created int, ps ...promotion.Promotion) []promotion.Promotion {
		for i := range ps {
			ps[i].SetRelease, ps[i].Environment, ps[i].CreatedAt = set, env, at(created)
		}
		return ps
	}
	member1 := func(relID string, reached int, st promotion.State, noop bool) promotion.Promotion {
		n++
		p := prom(relID+"-"+time.Duration(n).String(), rels[relID], "", st, at(0))
		p.UpdatedAt, p.Noop = at(reached), noop
		return p
	}
	type setRel struct {
		id     string
		formed int
		rels   []promotion.Release
	}
	sets := []setRel{
		{"s1", 100, []promotion.Release{newRel("rel-co1", "checkout", "1", 100, 50, ""), newRel("rel-pay1", "payments", "1", 100, 80, "")}},
		{"s2", 300, []promotion.Release{newRel("rel-co2", "checkout", "2", 300, 0, ""), newRel("rel-pay2", "payments", "2", 300, 290, "")}},
		{"s3", 500, []promotion.Release{newRel("rel-co3", "checkout", "3", 500, 490, ""), newRel("rel-pay3", "payments", "3", 500, 495, "")}},
		{"s4", 800, []promotion.Release{newRel("rel-co4", "checkout", "4", 800, 790, "rel-pay1"), newRel("rel-pay4", "payments", "4", 800, 940, "")}},
	}
	c, m := promotion.StateCommitted, promotion.StateMerged
	rounds := map[string][]promotion.Promotion{
		"s1": append(round("s1", "dev", 105, member1("rel-co1", 150, c, false), member1("rel-pay1", 160, c, false)),
			round("s1", "prod", 110, member1("rel-co1", 200, m, false), member1("rel-pay1", 220, m, false))...),
		"s2": round("s2", "prod", 310, member1("rel-co2", 400, c, false), member1("rel-pay2", 405, c, true)),
		"s3": round("s3", "prod", 510, member1("rel-co3", 600, c, false), member1("rel-pay3", 610, promotion.StateFailed, false)),
		"s4": round("s4", "prod", 810, member1("rel-co4", 900, c, false), member1("rel-pay4", 950, c, false)),
	}
	for _, sr := range sets {
		set := promotion.SetRelease{ID: sr.id, Name: "shop", Applications: []string{"checkout", "payments"},
			Releases: []string{sr.rels[0].ID, sr.rels[1].ID}, ReportedBy: "ci", CreatedAt: at(sr.formed)}
		if _, err := s.CreateSetRelease(ctx, set, sr.rels, rounds[sr.id]); err != nil {
			t.Fatalf("CreateSetRelease(%s) = %v", sr.id, err)
		}
	}
	rollback := round("s1", "prod", 700, member1("rel-co1", 750, c, false), member1("rel-pay1", 760, c, false))
	alone := member1("rel-co3", 850, c, false)
	alone.Environment, alone.CreatedAt = "prod", at(840)
	if err := s.CreatePromotions(ctx, append(rollback, alone), nil); err != nil {
		t.Fatalf("CreatePromotions() = %v", err)
	}

	all := store.DoraFilter{Set: "shop", From: at(0), To: at(1000), Bucket: 1000 * time.Second}
	t.Run("sums per environment", func(t *testing.T) {
		got, err := s.DoraBuckets(ctx, all)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "set buckets", got, []store.DoraBucket{
			{Environment: "dev", Index: 0, Deployments: 1, FromCommit: 1, LeadSeconds: 110},
			{Environment: "prod", Index: 0, Deployments: 4, FromCommit: 3, LeadSeconds: 170 + 105 + 710 + 160,
				Failures: 2, RestoreSeconds: 355 + 190},
		})
	})
	t.Run("a restore after the window does not count", func(t *testing.T) {
		f := all
		f.To, f.Environment = at(900), "prod"
		f.Bucket = 900 * time.Second
		got, err := s.DoraBuckets(ctx, f)
		if err != nil {
			t.Fatalf("DoraBuckets() = %v", err)
		}
		equal(t, "set buckets to 900 in prod", got, []store.DoraBucket{
			{Environment: "prod", Index: 0, Deployments: 3, FromCommit: 2, LeadSeconds: 170 + 105 + 710, Failures: 1, RestoreSeconds: 355},
		})
	})
	t.Run("another set or both names", func(t *testing.T) {
		f := all
		f.Set = "other"
		if got, err := s.DoraBuckets(ctx, f); err != nil || len(got) != 0 {
			t.Errorf("DoraBuckets(other) = %v, %v; want none", got, err)
		}
		f.Application = "checkout"
		if _, err := s.DoraBuckets(ctx, f); err == nil {
			t.Error("DoraBuckets(application and set) = nil, want an error")
		}
	})
}
