package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
)

// setFormPipeline is dev → stage → prod by commit, with the example's three
// applications in one set whose entry is dev (the first environment).
const setFormPipeline = `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: commit
  - name: prod
    from: stage
    promotion: commit
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target: {kind: kustomize, path: "envs/{env}/payments/kustomization.yaml"}
  - name: checkout
    image: REGISTRY/acme/checkout
    target:
      kind: helm
      path: "charts/checkout/values-{env}.yaml"
      helm: {repository: image.repository, tag: image.tag, digest: image.digest}
  - name: notifier
    image: REGISTRY/acme/notifier
    target: {kind: manifest, path: "apps/{env}/notifier.yaml"}
sets:
  - name: shop
    applications: [checkout, payments, notifier]
`

// setReleases lists the set releases of shop, newest first.
func (f *fixture) setReleases() []promotion.SetRelease {
	f.t.Helper()
	page, err := f.store.ListSetReleases(context.Background(), promotion.SetReleaseFilter{Name: "shop"})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Items
}

// reportCompleted reports app:tag and waits until it completed in dev.
func (f *fixture) reportCompleted(app, tag string) promotion.Release {
	f.t.Helper()
	r := f.report(app, tag)
	if p := f.wait(r.Promotion.ID); p.State != promotion.StateCommitted {
		f.t.Fatalf("%s %s in dev: %s (%s)", app, tag, p.State, p.Reason)
	}
	return r.Release
}

// awaitSetIn waits until every member of set release id completed in env,
// and returns their promotions there.
func (f *fixture) awaitSetIn(id, env string) []promotion.Promotion {
	f.t.Helper()
	var ps []promotion.Promotion
	eventually(f.t, "set release "+id+" completed in "+env, func() bool {
		page, err := f.store.ListPromotions(context.Background(), promotion.PromotionFilter{SetRelease: id, Environment: env})
		if err != nil {
			f.t.Fatal(err)
		}
		ps = page.Items
		return len(ps) == 3 && !slices.ContainsFunc(ps, func(p promotion.Promotion) bool { return p.State != promotion.StateCommitted })
	})
	return ps
}

// ownPromotionsBeyondDev counts the promotions of single applications (no
// set release) into stage or prod.
func (f *fixture) ownPromotionsBeyondDev() int {
	f.t.Helper()
	n := 0
	for _, env := range []string{"stage", "prod"} {
		page, err := f.store.ListPromotions(context.Background(), promotion.PromotionFilter{Environment: env, Limit: 500})
		if err != nil {
			f.t.Fatal(err)
		}
		for _, p := range page.Items {
			if p.SetRelease == "" {
				n++
			}
		}
	}
	return n
}

func TestSetFormsFromMembersReportedOneByOne(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": setFormPipeline}})
	f.run()
	ctx := context.Background()

	// Two members land in dev on their own and go no further.
	co := f.reportCompleted("checkout", "2.0.0")
	pay := f.reportCompleted("payments", "2.0.0")
	if got := f.setReleases(); len(got) != 0 {
		t.Fatalf("set releases before every member reached dev: %+v", got)
	}
	stageHead := f.head()

	// The third completes in dev: the set forms and moves on as one.
	no := f.reportCompleted("notifier", "2.0.0")
	var sr promotion.SetRelease
	eventually(t, "the set release formed", func() bool {
		got := f.setReleases()
		if len(got) == 1 {
			sr = got[0]
		}
		return len(got) == 1
	})
	if sr.Formed != promotion.FormedMembers || sr.ReportedBy != "ferry" {
		t.Errorf("set release formed %q by %q, want members by ferry", sr.Formed, sr.ReportedBy)
	}
	if want := []string{co.ID, pay.ID, no.ID}; !slices.Equal(sr.Releases, want) || !slices.Equal(sr.Applications, []string{"checkout", "payments", "notifier"}) {
		t.Errorf("set release %v %v, want the members' releases in dev %v", sr.Applications, sr.Releases, want)
	}
	for _, env := range []string{"stage", "prod"} {
		ps := f.awaitSetIn(sr.ID, env)
		if ps[0].CommitSHA == "" || slices.ContainsFunc(ps, func(p promotion.Promotion) bool { return p.CommitSHA != ps[0].CommitSHA }) {
			t.Errorf("%s: the members' commits differ, want one commit for the set: %+v", env, ps)
		}
		files := strings.Fields(f.git("diff-tree", "--no-commit-id", "--name-only", "-r", ps[0].CommitSHA))
		if len(files) != 3 {
			t.Errorf("%s: the set commit changed %v, want the three members' files", env, files)
		}
	}
	if n := f.git("rev-list", "--count", stageHead+"..main"); n != "3" { // notifier in dev, the set in stage, in prod
		t.Errorf("%s commits after the second member, want 3 (notifier in dev, the set in stage and prod)", n)
	}
	if n := f.ownPromotionsBeyondDev(); n != 0 {
		t.Errorf("%d promotions of single members beyond dev, want none: members move on only as a set", n)
	}

	// A new build of one member forms the next set release with it and
	// the others' releases in dev.
	co2 := f.reportCompleted("checkout", "2.0.1")
	eventually(t, "the second set release formed", func() bool { return len(f.setReleases()) == 2 })
	next := f.setReleases()[0]
	if want := []string{co2.ID, pay.ID, no.ID}; !slices.Equal(next.Releases, want) {
		t.Errorf("second set release %v, want %v", next.Releases, want)
	}
	f.awaitSetIn(next.ID, "prod")

	// checkout rolled back in dev to 2.0.0 by a person: no set forms (the
	// combination exists, and a rollback forms nothing anyway).
	back, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "checkout", Environment: "dev", Release: co.ID, Reason: "2.0.1 breaks dev"}, "alice")
	if err != nil {
		t.Fatalf("Promote(checkout 2.0.0 → dev) = %v", err)
	}
	if p := f.wait(back.ID); p.State != promotion.StateCommitted {
		t.Fatalf("rollback in dev: %s (%s)", p.State, p.Reason)
	}
	if got := f.setReleases(); len(got) != 2 {
		t.Errorf("%d set releases after a member's rollback in dev, want still 2", len(got))
	}
	if n := f.ownPromotionsBeyondDev(); n != 0 {
		t.Errorf("%d promotions of single members beyond dev after the rollback, want none", n)
	}

	// The whole set rolled back in prod: its promotions and the members'
	// pins are stored together, before PromoteSet answers.
	_, ps, err := f.eng.PromoteSet(ctx, promotion.PromoteSetRequest{SetRelease: sr.ID, Environment: "prod", Reason: "2.0.1 breaks prod"}, "bob")
	if err != nil {
		t.Fatalf("PromoteSet(rollback) = %v", err)
	}
	for _, p := range ps {
		pin, err := f.store.ActivePin(ctx, p.Application, "prod")
		if want, _ := sr.ReleaseOf(p.Application); err != nil || pin.ReleaseID != want || pin.PromotionID != p.ID || pin.PinnedBy != "bob" {
			t.Errorf("%s's pin in prod = %+v, %v; want at %s by bob for %s", p.Application, pin, err, want, p.ID)
		}
	}
	for _, p := range ps {
		if got := f.wait(p.ID); got.State != promotion.StateCommitted || got.CommitSHA != f.wait(ps[0].ID).CommitSHA {
			t.Errorf("%s rolled back in prod: %s %s (%s), want committed in the set's one commit", p.Application, got.State, got.CommitSHA, got.Reason)
		}
	}
}
