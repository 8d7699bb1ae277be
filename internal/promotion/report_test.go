package promotion_test

import (
	"context"
	"errors"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// TestReportBuildRefusals: a refused report returns a domain error with its
// kind and code, and records nothing.
func TestReportBuildRefusals(t *testing.T) {
	f := newFixture(t, setup{})
	f.push("acme/payments", "1.5.0")
	otherDigest := f.push("acme/checkout", "1.5.0")
	for _, tc := range []struct {
		name   string
		build  func(promotion.Build) promotion.Build
		who    promotion.Actor
		kind   derrors.Kind
		code   string
		detail string
	}{
		{
			name:   "token without the application",
			who:    promotion.Actor{Name: "ci-checkout", Applications: []string{"checkout", "notifier"}},
			kind:   derrors.Forbidden,
			code:   "forbidden",
			detail: `token "ci-checkout" may not report builds for application "payments"`,
		},
		{
			name:   "token with no applications",
			who:    promotion.Actor{Name: "reader"},
			kind:   derrors.Forbidden,
			code:   "forbidden",
			detail: `"payments"`,
		},
		{
			name:   "unknown application",
			build:  func(b promotion.Build) promotion.Build { b.Application = "billing"; return b },
			who:    ci,
			kind:   derrors.NotFound,
			code:   "unknown_application",
			detail: `application "billing" is not defined`,
		},
		{
			name:   "image of another application",
			build:  func(b promotion.Build) promotion.Build { b.Image = f.image("checkout"); return b },
			who:    ci,
			kind:   derrors.Unprocessable,
			code:   "image_not_of_application",
			detail: `is not application "payments"'s image repository (` + f.image("payments") + ")",
		},
		{
			name:  "tag not in the registry",
			build: func(b promotion.Build) promotion.Build { b.Tag = "9.9.9"; return b },
			who:   ci,
			kind:  derrors.Unprocessable,
		},
		{
			name:  "digest is not what the registry serves",
			build: func(b promotion.Build) promotion.Build { b.Digest = otherDigest; return b },
			who:   ci,
			kind:  derrors.Unprocessable,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := f.build("payments", "1.5.0")
			if tc.build != nil {
				b = tc.build(b)
			}
			_, err := f.eng.ReportBuild(context.Background(), b, tc.who)
			de, ok := derrors.As(err)
			if !ok {
				t.Fatalf("ReportBuild error = %v, want a domain error", err)
			}
			if de.Kind != tc.kind || (tc.code != "" && de.Code != tc.code) || !strings.Contains(de.Detail, tc.detail) {
				t.Errorf("error = kind %d code %q detail %q, want kind %d code %q detail containing %q",
					de.Kind, de.Code, de.Detail, tc.kind, tc.code, tc.detail)
			}
			if page, err := f.store.ListReleases(context.Background(), promotion.ReleaseFilter{}); err != nil || len(page.Items) != 0 {
				t.Errorf("releases after a refused report: %d (%v), want none", len(page.Items), err)
			}
		})
	}
}

// TestReportBuildNewApplication: an application added to ferry.yaml is
// found without a restart.
func TestReportBuildNewApplication(t *testing.T) {
	clk := &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	f := newFixture(t, setup{now: clk.Now})
	f.push("acme/billing", "0.1.0")
	b := f.build("billing", "0.1.0")
	if _, err := f.eng.ReportBuild(context.Background(), b, ci); derrors.KindOf(err) != derrors.NotFound {
		t.Fatalf("before billing is in the pipeline: %v, want not found", err)
	}

	pipeline := f.git("show", "main:ferry.yaml") + `

  - name: billing
    image: REGISTRY/acme/billing
    target:
      kind: marker
      path: apps/{env}/billing.yaml
`
	billing := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: billing\nspec:\n  containers:\n    - name: billing\n      image: REGISTRY/acme/billing:0.0.1 # ferry:image billing\n"
	f.humanPush("Add billing", map[string]string{
		"ferry.yaml": pipeline, "apps/dev/billing.yaml": billing, "apps/stage/billing.yaml": billing, "apps/prod/billing.yaml": billing,
	})
	clk.Set(clk.Now().Add(2 * time.Second)) // unknown names re-read the pipeline at most once a second

	r, err := f.eng.ReportBuild(context.Background(), b, ci)
	if err != nil {
		t.Fatalf("after billing was added: %v", err)
	}
	f.run()
	p := f.wait(r.Promotion.ID)
	if p.State != promotion.StateCommitted || p.Environment != "dev" {
		t.Fatalf("billing: %s into %s (%s), want committed into dev", p.State, p.Environment, p.Reason)
	}
	want := "image: " + f.image("billing") + ":0.1.0@" + r.Release.Digest + " # ferry:image billing"
	if got := f.git("show", "main:apps/dev/billing.yaml"); !strings.Contains(got, want) {
		t.Errorf("apps/dev/billing.yaml:\n%s\nwant a line with %q", got, want)
	}
}

// TestReportBuildDuplicate: the same application, tag and digest reported
// again answers with the first release and promotion and records nothing new.
func TestReportBuildDuplicate(t *testing.T) {
	f := newFixture(t, setup{})
	first := f.report("payments", "1.5.0")
	for _, digest := range []string{"", first.Release.Digest} {
		b := f.build("payments", "1.5.0")
		b.Digest = digest
		b.CIRunURL = "https://ci.example.com/redelivered"
		again, err := f.eng.ReportBuild(context.Background(), b, ci)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Duplicate || again.Release.ID != first.Release.ID || again.Promotion.ID != first.Promotion.ID {
			t.Errorf("again (digest %q) = duplicate %v release %s promotion %s, want duplicate of %s / %s",
				digest, again.Duplicate, again.Release.ID, again.Promotion.ID, first.Release.ID, first.Promotion.ID)
		}
		if again.Release.CIRunURL != first.Release.CIRunURL {
			t.Errorf("duplicate answered with CI run %q, want the first report's", again.Release.CIRunURL)
		}
	}
	rels, err := f.store.ListReleases(context.Background(), promotion.ReleaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels.Items) != 1 {
		t.Errorf("%d releases, want 1", len(rels.Items))
	}
	if ps := f.promotionsOf(first.Release.ID); len(ps["dev"]) != 1 || len(ps) != 1 {
		t.Errorf("promotions = %v, want one into dev", ps)
	}
	before := f.head()
	f.run()
	f.wait(first.Promotion.ID)
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Errorf("%s commits for one build reported three times, want 1", n)
	}
}

// TestWait: Wait returns a terminal promotion as soon as it is, and the
// promotion as it is when the caller stops waiting.
func TestWait(t *testing.T) {
	f := newFixture(t, setup{cfg: promotion.Config{PollInterval: time.Hour}}) // only kicks wake anyone
	r := f.report("payments", "1.5.0")

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	start := time.Now()
	p, err := f.eng.Wait(ctx, r.Promotion.ID)
	cancel()
	if err != nil {
		t.Fatalf("Wait at deadline: %v, want the current state", err)
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("Wait returned after %v, want at its deadline", took)
	}
	if p.ID != r.Promotion.ID || p.State != promotion.StatePending {
		t.Errorf("Wait at deadline = %s %s, want the pending promotion", p.ID, p.State)
	}

	// A waiter started before the worker is woken by the worker's change.
	type result struct {
		p   promotion.Promotion
		err error
	}
	got := make(chan result, 1)
	go func() {
		p, err := f.eng.Wait(context.Background(), r.Promotion.ID)
		got <- result{p, err}
	}()
	time.Sleep(50 * time.Millisecond)
	f.run()
	select {
	case res := <-got:
		if res.err != nil || res.p.State != promotion.StateCommitted || res.p.CommitSHA != f.head() {
			t.Errorf("Wait = %s %s %v, want committed at the head", res.p.State, res.p.CommitSHA, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return once the promotion was committed")
	}

	// Terminal already: at once, even with an ended context.
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if p, err := f.eng.Wait(done, r.Promotion.ID); err != nil || p.State != promotion.StateCommitted {
		t.Errorf("Wait on a committed promotion = %s %v", p.State, err)
	}
	if _, err := f.eng.Wait(context.Background(), "prm_missing"); !errors.Is(err, derrors.ErrNotFound) {
		t.Errorf("Wait on an unknown promotion = %v, want ErrNotFound", err)
	}
}

// TestReportBuildDuplicateWithDigestSkipsRegistry: a re-sent report that
// names its digest is answered from the store; the registry is not asked,
// so it is answered even when the tag is gone from the registry.
func TestReportBuildDuplicateWithDigestSkipsRegistry(t *testing.T) {
	f := newFixture(t, setup{})
	first := f.report("payments", "1.5.0")
	ref, err := name.NewDigest(f.image("payments")+"@"+first.Release.Digest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(f.image("payments")+":1.5.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []name.Reference{tag, ref} {
		if err := remote.Delete(r); err != nil {
			t.Fatalf("deleting %s: %v", r, err)
		}
	}
	b := f.build("payments", "1.5.0")
	b.Digest = first.Release.Digest
	again, err := f.eng.ReportBuild(context.Background(), b, ci)
	if err != nil || !again.Duplicate || again.Release.ID != first.Release.ID {
		t.Fatalf("re-sent report: %+v, %v", again, err)
	}
	// Without the digest the registry decides, and the tag is gone.
	b.Digest = ""
	if _, err := f.eng.ReportBuild(context.Background(), b, ci); derrors.KindOf(err) != derrors.Unprocessable {
		t.Errorf("report without digest after the image was deleted: %v, want tag_not_found", err)
	}
}
