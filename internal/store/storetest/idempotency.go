package storetest

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

func testIdempotency(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	rec := store.IdemRecord{Scope: "token-ci:POST /api/v1/builds", Key: "key-1", RequestHash: "hash-a", CreatedAt: at(0)}
	inFlight := rec
	inFlight.CreatedAt = store.Time(rec.CreatedAt)

	t.Run("first put creates an in-flight record", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withAnswer := rec
		withAnswer.Status, withAnswer.Body, withAnswer.Completed = 201, []byte("ignored"), true
		got, created, err := s.PutIdempotency(ctx, withAnswer)
		if err != nil || !created {
			t.Fatalf("PutIdempotency() = created %v, %v; want created", created, err)
		}
		equal(t, "returned", got, inFlight)
		// A second put, same body or not, returns the stored record unchanged.
		for _, hash := range []string{"hash-a", "hash-b"} {
			again := rec
			again.RequestHash, again.CreatedAt = hash, at(10)
			got, created, err := s.PutIdempotency(ctx, again)
			if err != nil || created {
				t.Fatalf("PutIdempotency(again, %s) = created %v, %v; want existing", hash, created, err)
			}
			equal(t, "existing", got, inFlight)
		}
	})

	t.Run("complete stores the answer once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, _, err := s.PutIdempotency(ctx, rec); err != nil {
			t.Fatalf("PutIdempotency() = %v", err)
		}
		body := []byte(`{"release":{"id":"rel-1"}}` + "\x00\xff")
		if err := s.CompleteIdempotency(ctx, rec.Scope, rec.Key, 201, body); err != nil {
			t.Fatalf("CompleteIdempotency() = %v", err)
		}
		got, created, err := s.PutIdempotency(ctx, rec)
		if err != nil || created {
			t.Fatalf("PutIdempotency(replay) = created %v, %v; want existing", created, err)
		}
		want := inFlight
		want.Status, want.Body, want.Completed = 201, body, true
		equal(t, "completed record", got, want)

		err = s.CompleteIdempotency(ctx, rec.Scope, rec.Key, 500, []byte("other"))
		wantIs(t, "CompleteIdempotency(again)", err, derrors.ErrConflict)
		got, _, _ = s.PutIdempotency(ctx, rec)
		equal(t, "answer after a second complete", got, want)

		err = s.CompleteIdempotency(ctx, rec.Scope, "key-nope", 201, nil)
		wantIs(t, "CompleteIdempotency(missing)", err, derrors.ErrNotFound)
	})

	t.Run("an empty body completes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, _, err := s.PutIdempotency(ctx, rec); err != nil {
			t.Fatalf("PutIdempotency() = %v", err)
		}
		if err := s.CompleteIdempotency(ctx, rec.Scope, rec.Key, 204, nil); err != nil {
			t.Fatalf("CompleteIdempotency() = %v", err)
		}
		got, _, err := s.PutIdempotency(ctx, rec)
		if err != nil || !got.Completed || got.Status != 204 || len(got.Body) != 0 {
			t.Errorf("PutIdempotency(replay) = %+v, %v; want completed 204 with no body", got, err)
		}
	})

	t.Run("the owner renews its lease until the record completes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		held := rec
		held.Owner, held.LeaseUntil = "host-a/41/1f2e", at(5)
		got, created, err := s.PutIdempotency(ctx, held)
		if err != nil || !created {
			t.Fatalf("PutIdempotency() = created %v, %v; want created", created, err)
		}
		want := inFlight
		want.Owner, want.LeaseUntil = held.Owner, store.Time(at(5))
		equal(t, "returned", got, want)

		if err := s.RenewIdempotency(ctx, rec.Scope, rec.Key, held.Owner, at(9)); err != nil {
			t.Fatalf("RenewIdempotency() = %v", err)
		}
		want.LeaseUntil = store.Time(at(9))
		got, _, _ = s.PutIdempotency(ctx, rec)
		equal(t, "renewed", got, want)

		// Only the owner renews, and only while the record is in flight.
		err = s.RenewIdempotency(ctx, rec.Scope, rec.Key, "host-b/7/9a9a", at(60))
		wantIs(t, "RenewIdempotency(other owner)", err, derrors.ErrNotFound)
		err = s.RenewIdempotency(ctx, rec.Scope, "key-nope", held.Owner, at(60))
		wantIs(t, "RenewIdempotency(missing)", err, derrors.ErrNotFound)
		if err := s.CompleteIdempotency(ctx, rec.Scope, rec.Key, 201, []byte("{}")); err != nil {
			t.Fatalf("CompleteIdempotency() = %v", err)
		}
		err = s.RenewIdempotency(ctx, rec.Scope, rec.Key, held.Owner, at(60))
		wantIs(t, "RenewIdempotency(completed)", err, derrors.ErrNotFound)
		got, _, _ = s.PutIdempotency(ctx, rec)
		want.Status, want.Body, want.Completed = 201, []byte("{}"), true
		equal(t, "completed", got, want)
	})

	t.Run("scopes keep keys apart", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, _, err := s.PutIdempotency(ctx, rec); err != nil {
			t.Fatalf("PutIdempotency() = %v", err)
		}
		other := rec
		other.Scope = "token-other:POST /api/v1/builds"
		if _, created, err := s.PutIdempotency(ctx, other); err != nil || !created {
			t.Errorf("PutIdempotency(other scope) = created %v, %v; want created", created, err)
		}
	})

	t.Run("delete before a time", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, c := range []int{0, 10, 20, 30} {
			r := rec
			r.Key, r.CreatedAt = string(rune('a'+i)), at(c)
			if _, _, err := s.PutIdempotency(ctx, r); err != nil {
				t.Fatalf("PutIdempotency(%s) = %v", r.Key, err)
			}
		}
		if err := s.CompleteIdempotency(ctx, rec.Scope, "a", 200, []byte("x")); err != nil {
			t.Fatalf("CompleteIdempotency() = %v", err)
		}
		n, err := s.DeleteIdempotencyBefore(ctx, at(20))
		if err != nil || n != 2 {
			t.Fatalf("DeleteIdempotencyBefore(at 20) = %d, %v; want 2", n, err)
		}
		for key, wantKept := range map[string]bool{"a": false, "b": false, "c": true, "d": true} {
			r := rec
			r.Key, r.CreatedAt = key, at(100)
			got, created, err := s.PutIdempotency(ctx, r)
			if err != nil {
				t.Fatalf("PutIdempotency(%s) = %v", key, err)
			}
			if created == wantKept {
				t.Errorf("key %s: kept = %v, want %v", key, !created, wantKept)
			}
			if wantKept && got.CreatedAt.Equal(at(100)) {
				t.Errorf("key %s: CreatedAt replaced", key)
			}
		}
		if n, err := s.DeleteIdempotencyBefore(ctx, at(0)); err != nil || n != 0 {
			t.Errorf("DeleteIdempotencyBefore(at 0) = %d, %v; want 0", n, err)
		}
	})
}
