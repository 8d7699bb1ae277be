// Package store holds what Ferry's persistence drivers (internal/store/sqlite
// and internal/store/postgres) share: the SQL of releases, promotions and
// their history, written once and spoken in a driver's Dialect (SQL), the
// interfaces they implement beyond promotion.Store, idempotency records, the
// list cursor and limit rules, and the migration file format.
package store

import (
	"context"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// IdemRecord is the stored answer to a request sent with an Idempotency-Key.
type IdemRecord struct {
	// Scope and Key identify the record: Scope names who sent the key (e.g.
	// the token and the route), so two callers cannot collide.
	Scope string
	Key   string
	// RequestHash identifies the request body; the same key with another
	// body is refused instead of replayed.
	RequestHash string
	// Status and Body are the answer, set by CompleteIdempotency.
	Status    int
	Body      []byte
	CreatedAt time.Time
	// Completed is false while the first request is still in flight.
	Completed bool
	// Owner names the server process that holds an in-flight record, and
	// LeaseUntil is when its hold lapses unless renewed: a record whose
	// owner died is taken over once the lease has lapsed, not after the
	// longest request could last. A zero LeaseUntil marks a record written
	// before leases existed.
	Owner      string
	LeaseUntil time.Time
}

// IdempotencyStore keeps idempotency records.
type IdempotencyStore interface {
	// PutIdempotency stores rec (its Status, Body and Completed are ignored:
	// a new record is in flight) unless a record with the same Scope and Key
	// exists; then it stores nothing and returns that record with
	// created=false. A zero CreatedAt is set to the current time.
	PutIdempotency(ctx context.Context, rec IdemRecord) (existing IdemRecord, created bool, err error)
	// RenewIdempotency moves the lease of the in-flight record held by
	// owner to until. It is derrors.ErrNotFound (wrapped) if no in-flight
	// record of that scope and key is held by owner.
	RenewIdempotency(ctx context.Context, scope, key, owner string, until time.Time) error
	// CompleteIdempotency records the answer of an in-flight record. It is
	// derrors.ErrNotFound (wrapped) if there is no such record and
	// derrors.ErrConflict (wrapped) if it is already completed.
	CompleteIdempotency(ctx context.Context, scope, key string, status int, body []byte) error
	// DeleteIdempotencyBefore deletes the records created before t, completed
	// or not, and returns how many it deleted.
	DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int64, error)
}

// Store is everything a Ferry store driver provides: promotion.Store (which
// includes FindReleaseByDigest and FindReleaseByTag), promotion.TransitionStore
// (pull-request completion, wake-ups and promotion history), idempotency
// records, history import (ferry reindex), built-in pull requests and a
// readiness check.
type Store interface {
	promotion.Store
	promotion.TransitionStore
	IdempotencyStore
	Importer
	PullRequestStore
	Outbox
	StatusStore
	// Ping reports whether the database answers, for readiness.
	Ping(ctx context.Context) error
	// PromotionStats reads the operator's promotion gauges as of now.
	PromotionStats(ctx context.Context, now time.Time) (PromotionStats, error)
	// DoraBuckets sums an application's deployments for the DORA metrics.
	DoraBuckets(ctx context.Context, f DoraFilter) ([]DoraBucket, error)
}

// Outbox is the notification outbox: the events recorded with each change
// of a promotion's state (see Event) and their deliveries, claimed with a
// lease so that one sender at a time works on each.
type Outbox interface {
	RecordEvent(ctx context.Context, ev Event) error
	DispatchEvents(ctx context.Context, now time.Time, limit int, route Router) (int, error)
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	FinishDelivery(ctx context.Context, owner, id string, now time.Time, o Outcome) error
	Redeliver(ctx context.Context, id string, now time.Time) (Delivery, error)
	GetDelivery(ctx context.Context, id string) (Delivery, error)
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
}

// Importer restores history read back from the environment repositories
// (ferry reindex). The repository is the truth and the store an index of it,
// so an import only adds what is missing and never changes a stored row:
// importing the same history twice changes nothing.
type Importer interface {
	// ImportRelease stores r, unless a release with its ID or with its
	// application, tag and digest exists, and each of ps as given (ids,
	// states, commit SHAs, times), unless a promotion with its ID exists,
	// recording each added promotion's first transition, all in one
	// transaction. A promotion whose ReleaseID is r.ID refers to the stored
	// release of r's image when that one has another ID. It returns how many
	// releases and promotions it added.
	ImportRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (added int, err error)
}
