// Package storetest is the conformance suite of Ferry's stores: every driver
// in internal/store runs Run from its tests and so keeps every promise the
// doc comments of promotion.Store and store.Store make.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// Store is what the suite tests: promotion.Store, promotion.TransitionStore
// and the extras of internal/store (idempotency records, Ping).
type Store = store.Store

// Run runs the suite. Each subtest calls open with its own *testing.T.
//
// open must return a store on an empty database the first time it is called
// for a t, and a new store on that same database on later calls for the same
// t (the suite closes the first store before, to check persistence). open
// registers its own cleanup; the suite may also Close the store itself.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatalf("Ping() = %v, want nil", err)
		}
	})
	t.Run("Releases", func(t *testing.T) { testReleases(t, open) })
	t.Run("ConcurrentReports", func(t *testing.T) { testConcurrentReports(t, open) })
	t.Run("Promotions", func(t *testing.T) { testPromotions(t, open) })
	t.Run("UpdatePromotion", func(t *testing.T) { testUpdatePromotion(t, open) })
	t.Run("ListPromotions", func(t *testing.T) { testListPromotions(t, open) })
	t.Run("ListReleases", func(t *testing.T) { testListReleases(t, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, open) })
	t.Run("ClaimDue", func(t *testing.T) { testClaimDue(t, open) })
	t.Run("Transitions", func(t *testing.T) { testTransitions(t, open) })
	t.Run("CompletePromotion", func(t *testing.T) { testCompletePromotion(t, open) })
	t.Run("Wake", func(t *testing.T) { testWake(t, open) })
	t.Run("WakeDuringLease", func(t *testing.T) { testWakeDuringLease(t, open) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open) })
	t.Run("ImportRelease", func(t *testing.T) { testImportRelease(t, open) })
	t.Run("PullRequests", func(t *testing.T) { testPullRequests(t, open) })
	t.Run("Statuses", func(t *testing.T) { testStatuses(t, open) })
	t.Run("Pins", func(t *testing.T) { testPins(t, open) })
	t.Run("Persistence", func(t *testing.T) { testPersistence(t, open) })
	t.Run("PromotionStats", func(t *testing.T) { testPromotionStats(t, open) })
	t.Run("Dora", func(t *testing.T) { testDora(t, open) })
	t.Run("DoraSet", func(t *testing.T) { testDoraSet(t, open) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("SetReleases", func(t *testing.T) { testSetReleases(t, open) })
	t.Run("SetFormation", func(t *testing.T) { testSetFormation(t, open) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, open) })
}

// base is the suite's clock: a nanosecond part and a non-UTC zone check
// that stores return UTC at microsecond precision.
var base = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

func rel(id, app, tag string, created time.Time) promotion.Release {
	return promotion.Release{
		ID:           id,
		Application:  app,
		Repository:   "registry.example.com/acme/" + app,
		Tag:          tag,
		Digest:       digestOf(app + ":" + tag),
		SourceRepo:   "https://git.example.com/acme/" + app,
		SourceCommit: "0123456789abcdef0123456789abcdef01234567",
		SourceBranch: "main",
		CIRunURL:     "https://ci.example.com/runs/" + id,
		ReportedBy:   "ci-" + app,
		CreatedAt:    created,
	}
}

// digestOf returns a well-formed digest made from s.
func digestOf(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("sha256:%016x%016x%016x%016x", h, h^1, h^2, h^3)
}

func prom(id string, r promotion.Release, env string, st promotion.State, created time.Time) promotion.Promotion {
	return promotion.Promotion{
		ID:            id,
		ReleaseID:     r.ID,
		Application:   r.Application,
		Environment:   env,
		State:         st,
		NextAttemptAt: created,
		CreatedAt:     created,
		UpdatedAt:     created,
	}
}

// stored returns what a store gives back for what it was given: times in UTC,
// truncated to the microsecond.
func storedRelease(r promotion.Release) promotion.Release {
	r.CreatedAt = store.Time(r.CreatedAt)
	return r
}

// storedPromotion also drops Actor and Note, which only feed transitions,
// and reads no approvers back as nil.
func storedPromotion(p promotion.Promotion) promotion.Promotion {
	p.Actor, p.Note = "", ""
	if len(p.Approvers) == 0 {
		p.Approvers = nil
	}
	p.NextAttemptAt = store.Time(p.NextAttemptAt)
	p.LeaseUntil = store.Time(p.LeaseUntil)
	p.CreatedAt = store.Time(p.CreatedAt)
	p.UpdatedAt = store.Time(p.UpdatedAt)
	return p
}

func mustCreateRelease(t *testing.T, s Store, r promotion.Release, ps ...promotion.Promotion) {
	t.Helper()
	if _, created, err := s.CreateRelease(context.Background(), r, ps); err != nil || !created {
		t.Fatalf("CreateRelease(%s) = created %v, %v; want created", r.ID, created, err)
	}
}

func mustCreatePromotion(t *testing.T, s Store, p promotion.Promotion) {
	t.Helper()
	if err := s.CreatePromotion(context.Background(), p); err != nil {
		t.Fatalf("CreatePromotion(%s) = %v", p.ID, err)
	}
}

func mustGetPromotion(t *testing.T, s Store, id string) promotion.Promotion {
	t.Helper()
	p, err := s.GetPromotion(context.Background(), id)
	if err != nil {
		t.Fatalf("GetPromotion(%s) = %v", id, err)
	}
	return p
}

// equal fails t unless got and want are deeply equal.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// wantIs fails t unless errors.Is(err, target).
func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want one wrapping %v", what, err, target)
	}
}

// wantKind fails t unless err carries a domain error of kind and code.
func wantKind(t *testing.T, what string, err error, kind derrors.Kind, code string) {
	t.Helper()
	e, ok := derrors.As(err)
	if !ok || e.Kind != kind || e.Code != code {
		t.Errorf("%s: error = %v (%+v), want kind %d code %q", what, err, e, kind, code)
	}
}

// wantUTC fails t unless every time is in UTC.
func wantUTC(t *testing.T, what string, ts ...time.Time) {
	t.Helper()
	for _, tm := range ts {
		if tm.Location() != time.UTC {
			t.Errorf("%s: time %v is in %v, want UTC", what, tm, tm.Location())
		}
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func promotionID(p promotion.Promotion) string { return p.ID }
func releaseID(r promotion.Release) string     { return r.ID }
