package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/supplychain"
)

func testReleases(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("create stores the release and its promotions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-1", "payments", "v1.0.0", at(0))
		ps := []promotion.Promotion{
			prom("prm-1", r, "dev", promotion.StatePending, at(0)),
			prom("prm-2", r, "qa", promotion.StatePending, at(0)),
		}
		got, created, err := s.CreateRelease(ctx, r, ps)
		if err != nil || !created {
			t.Fatalf("CreateRelease() = created %v, %v; want created", created, err)
		}
		equal(t, "returned release", got, storedRelease(r))
		gr, err := s.GetRelease(ctx, r.ID)
		if err != nil {
			t.Fatalf("GetRelease() = %v", err)
		}
		equal(t, "stored release", gr, storedRelease(r))
		wantUTC(t, "release", gr.CreatedAt)
		for _, p := range ps {
			gp := mustGetPromotion(t, s, p.ID)
			equal(t, "stored promotion", gp, storedPromotion(p))
			wantUTC(t, "promotion", gp.CreatedAt, gp.UpdatedAt, gp.NextAttemptAt)
		}
	})

	t.Run("supply-chain verification round trips with the release", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-v", "payments", "v1.0.0", at(0))
		r.Verification = &supplychain.Facts{
			Digest:     r.Digest,
			Signatures: []supplychain.Signer{{Identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"}, {Key: "sha256:ab"}},
			Provenance: []supplychain.Provenance{{Signer: supplychain.Signer{Key: "sha256:ab"}, PredicateType: "https://slsa.dev/provenance/v1",
				Builder: "https://github.com/actions/runner/github-hosted", SourceRepo: "https://github.com/acme/app", SourceCommit: "0123"}},
			Rejected:   []string{"tag sha256-x.sig layer 0: not allowed"},
			VerifiedAt: store.Time(at(1)),
		}
		if _, created, err := s.CreateRelease(ctx, r, []promotion.Promotion{prom("prm-v", r, "dev", promotion.StatePending, at(0))}); err != nil || !created {
			t.Fatalf("CreateRelease() = created %v, %v; want created", created, err)
		}
		gr, err := s.GetRelease(ctx, r.ID)
		if err != nil {
			t.Fatalf("GetRelease() = %v", err)
		}
		equal(t, "stored release", gr, storedRelease(r))
		plain := rel("rel-nv", "payments", "v1.0.1", at(0))
		if _, _, err := s.CreateRelease(ctx, plain, []promotion.Promotion{prom("prm-nv", plain, "dev", promotion.StatePending, at(0))}); err != nil {
			t.Fatal(err)
		}
		if gr, err := s.GetRelease(ctx, plain.ID); err != nil || gr.Verification != nil {
			t.Fatalf("GetRelease(unverified) = %+v, %v; want no verification", gr.Verification, err)
		}
	})

	t.Run("same application tag and digest returns the existing release and stores nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		first := rel("rel-1", "payments", "v1.0.0", at(0))
		mustCreateRelease(t, s, first, prom("prm-1", first, "dev", promotion.StatePending, at(0)))

		again := rel("rel-2", "payments", "v1.0.0", at(5))
		again.ReportedBy = "someone-else"
		got, created, err := s.CreateRelease(ctx, again, []promotion.Promotion{prom("prm-2", again, "dev", promotion.StatePending, at(5))})
		if err != nil {
			t.Fatalf("CreateRelease(duplicate) = %v, want nil", err)
		}
		if created {
			t.Errorf("CreateRelease(duplicate) created = true, want false")
		}
		equal(t, "existing release", got, storedRelease(first))
		_, err = s.GetRelease(ctx, again.ID)
		wantIs(t, "GetRelease(duplicate id)", err, derrors.ErrNotFound)
		_, err = s.GetPromotion(ctx, "prm-2")
		wantIs(t, "GetPromotion(duplicate's promotion)", err, derrors.ErrNotFound)
	})

	t.Run("same tag with another digest is a new release", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		first := rel("rel-1", "payments", "latest", at(0))
		mustCreateRelease(t, s, first)
		rebuilt := rel("rel-2", "payments", "latest", at(1))
		rebuilt.Digest = digestOf("rebuilt")
		mustCreateRelease(t, s, rebuilt)
		other := rel("rel-3", "billing", "latest", at(2))
		other.Digest = first.Digest
		mustCreateRelease(t, s, other)
	})

	t.Run("a failing promotion insert leaves no release", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		old := rel("rel-0", "payments", "v0", at(0))
		mustCreateRelease(t, s, old, prom("prm-taken", old, "dev", promotion.StatePending, at(0)))

		for _, tc := range []struct {
			name string
			ps   func(r promotion.Release) []promotion.Promotion
		}{
			{"duplicate id within the call", func(r promotion.Release) []promotion.Promotion {
				return []promotion.Promotion{
					prom("prm-dup", r, "dev", promotion.StatePending, at(1)),
					prom("prm-dup", r, "qa", promotion.StatePending, at(1)),
				}
			}},
			{"id of an existing promotion", func(r promotion.Release) []promotion.Promotion {
				return []promotion.Promotion{
					prom("prm-new", r, "dev", promotion.StatePending, at(1)),
					prom("prm-taken", r, "qa", promotion.StatePending, at(1)),
				}
			}},
		} {
			r := rel("rel-"+tc.name, "payments", "v1", at(1))
			_, created, err := s.CreateRelease(ctx, r, tc.ps(r))
			if created {
				t.Errorf("%s: created = true, want false", tc.name)
			}
			wantIs(t, tc.name, err, derrors.ErrConflict)
			_, err = s.GetRelease(ctx, r.ID)
			wantIs(t, tc.name+": GetRelease", err, derrors.ErrNotFound)
			for _, p := range tc.ps(r) {
				if p.ID == "prm-taken" {
					continue
				}
				_, err = s.GetPromotion(ctx, p.ID)
				wantIs(t, tc.name+": GetPromotion("+p.ID+")", err, derrors.ErrNotFound)
			}
		}
		// The store still works, and the image can be recorded afterwards.
		mustCreateRelease(t, s, rel("rel-ok", "payments", "v1", at(2)), prom("prm-dup", rel("rel-ok", "payments", "v1", at(2)), "dev", promotion.StatePending, at(2)))
		page, err := s.ListReleases(ctx, promotion.ReleaseFilter{})
		if err != nil {
			t.Fatalf("ListReleases() = %v", err)
		}
		equal(t, "releases", ids(page.Items, releaseID), []string{"rel-ok", "rel-0"})
	})

	t.Run("an existing release id is a conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustCreateRelease(t, s, rel("rel-1", "payments", "v1", at(0)))
		_, _, err := s.CreateRelease(ctx, rel("rel-1", "payments", "v2", at(1)), nil)
		wantIs(t, "CreateRelease(same id)", err, derrors.ErrConflict)
	})

	t.Run("invalid release is refused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-1", "payments", "v1", at(0))
		r.Digest = ""
		_, _, err := s.CreateRelease(ctx, r, nil)
		wantKind(t, "CreateRelease(no digest)", err, derrors.Invalid, "invalid_release")
		r = rel("rel-2", "payments", "v1", at(0))
		p := prom("prm-1", r, "dev", "bogus", at(0))
		_, _, err = s.CreateRelease(ctx, r, []promotion.Promotion{p})
		wantKind(t, "CreateRelease(bad state)", err, derrors.Invalid, "invalid_promotion")
		_, err = s.GetRelease(ctx, r.ID)
		wantIs(t, "GetRelease after refusal", err, derrors.ErrNotFound)
	})

	t.Run("missing release is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.GetRelease(ctx, "rel-nope")
		wantIs(t, "GetRelease", err, derrors.ErrNotFound)
		_, err = s.FindReleaseByDigest(ctx, "payments", digestOf("nope"))
		wantIs(t, "FindReleaseByDigest", err, derrors.ErrNotFound)
		_, err = s.FindReleaseByTag(ctx, "payments", "nope")
		wantIs(t, "FindReleaseByTag", err, derrors.ErrNotFound)
	})

	t.Run("find by digest and by tag return the newest", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		old := rel("rel-1", "payments", "latest", at(0))
		mid := rel("rel-2", "payments", "v2", at(10)) // same digest as newest, other tag
		mid.Digest = digestOf("same")
		newest := rel("rel-3", "payments", "latest", at(20))
		newest.Digest = digestOf("same")
		otherApp := rel("rel-4", "billing", "latest", at(30))
		otherApp.Digest = digestOf("same")
		for _, r := range []promotion.Release{old, mid, newest, otherApp} {
			mustCreateRelease(t, s, r)
		}
		for _, tc := range []struct {
			name string
			find func() (promotion.Release, error)
			want promotion.Release
		}{
			{"digest of two releases", func() (promotion.Release, error) {
				return s.FindReleaseByDigest(ctx, "payments", digestOf("same"))
			}, newest},
			{"digest of one release", func() (promotion.Release, error) {
				return s.FindReleaseByDigest(ctx, "payments", old.Digest)
			}, old},
			{"tag of two releases", func() (promotion.Release, error) {
				return s.FindReleaseByTag(ctx, "payments", "latest")
			}, newest},
			{"tag of one release", func() (promotion.Release, error) {
				return s.FindReleaseByTag(ctx, "payments", "v2")
			}, mid},
			{"other application", func() (promotion.Release, error) {
				return s.FindReleaseByTag(ctx, "billing", "latest")
			}, otherApp},
		} {
			got, err := tc.find()
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			equal(t, tc.name, got, storedRelease(tc.want))
		}
	})

	t.Run("times round trip in UTC at microsecond precision", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, tm := range []struct {
			name string
			t    time.Time
		}{
			{"nanoseconds in a zone", base},
			{"pre-epoch", time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC)},
			{"far future", time.Date(2999, 12, 31, 23, 59, 59, 999999000, time.FixedZone("X", -7*3600))},
		} {
			r := rel(fmt.Sprintf("rel-%d", i), "payments", fmt.Sprintf("v%d", i), tm.t)
			mustCreateRelease(t, s, r)
			got, err := s.GetRelease(ctx, r.ID)
			if err != nil {
				t.Fatalf("%s: GetRelease() = %v", tm.name, err)
			}
			if want := tm.t.UTC().Truncate(time.Microsecond); got.CreatedAt != want {
				t.Errorf("%s: CreatedAt = %v, want %v", tm.name, got.CreatedAt, want)
			}
		}
	})
}
