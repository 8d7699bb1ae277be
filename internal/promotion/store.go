package promotion

import (
	"context"
	"time"
)

// Store keeps releases and promotions. It is an index of what Git holds;
// implementations live in internal/store and pass one conformance suite.
//
// Errors: a missing row is derrors.ErrNotFound (wrapped); a unique or lease
// violation is derrors.ErrConflict (wrapped).
type Store interface {
	// CreateRelease stores a release and its first promotions in one
	// transaction. If a release of the same application, tag and digest
	// exists, it stores nothing and returns the existing release with
	// created=false.
	CreateRelease(ctx context.Context, r Release, ps []Promotion) (existing Release, created bool, err error)
	GetRelease(ctx context.Context, id string) (Release, error)
	// FindReleaseByDigest returns the newest release of app with that digest.
	FindReleaseByDigest(ctx context.Context, app, digest string) (Release, error)
	// FindReleaseByTag returns the newest release of app with that tag.
	FindReleaseByTag(ctx context.Context, app, tag string) (Release, error)
	ListReleases(ctx context.Context, f ReleaseFilter) (Page[Release], error)

	// CreatePromotion stores one promotion (chained or manual promotions).
	CreatePromotion(ctx context.Context, p Promotion) error
	GetPromotion(ctx context.Context, id string) (Promotion, error)
	ListPromotions(ctx context.Context, f PromotionFilter) (Page[Promotion], error)

	// ClaimDue leases up to limit promotions whose state is pending, waiting
	// or pr-open and whose
	// NextAttemptAt is at or before now, and whose lease is free or expired,
	// oldest first. Each claimed promotion gets LeaseOwner=owner and
	// LeaseUntil=now+lease, and Reclaimed=true when its stored LeaseOwner
	// was not empty (claimed before and never released: its holder died or
	// overran its lease), read in the same transaction as the claim.
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Promotion, error)
	// UpdatePromotion writes p's mutable fields (State, Reason, CommitSHA,
	// Noop, Attempts, NextAttemptAt, LeaseOwner, LeaseUntil, UpdatedAt,
	// PRNumber, PRURL, PRBranch, MergeSHA, MergedBy, Approvers) if the
	// stored row is leased by owner (or owner is ""), else ErrConflict. When
	// State or Reason changes it appends a Transition (see Promotion.Actor).
	UpdatePromotion(ctx context.Context, owner string, p Promotion) error

	TransitionStore
	PinStore
	SetStore

	Close() error
}

// TransitionStore is the part of Store for pull-request promotions and
// promotion history.
type TransitionStore interface {
	// CompletePromotion is UpdatePromotion plus the creation of next (the
	// promotions into the environments that follow), in one transaction, so
	// a crash can never complete one environment without starting the next.
	CompletePromotion(ctx context.Context, owner string, p Promotion, next []Promotion) error
	// Wake sets NextAttemptAt to at for a promotion in state pending,
	// waiting or pr-open (a webhook says something changed); otherwise it
	// does nothing. It ignores leases.
	Wake(ctx context.Context, id string, at time.Time) error
	// Transitions returns a promotion's transitions, oldest first.
	Transitions(ctx context.Context, promotionID string) ([]Transition, error)
}

// ReleaseFilter selects releases, newest first.
type ReleaseFilter struct {
	Application string // empty: any
	Limit       int    // 1..500; 0 means 50
	Cursor      string // opaque, from Page.Next
}

// PromotionFilter selects promotions, newest first.
type PromotionFilter struct {
	Application string
	Environment string
	State       State
	ReleaseID   string
	// PRNumber selects the promotion of one pull request (with Application
	// and Environment, or alone).
	PRNumber int
	// Since and Until bound the promotions' creation time: Since <=
	// created < Until; a zero time leaves that side open.
	Since, Until time.Time
	// SetRelease selects the promotions of one set release.
	SetRelease string
	Limit      int
	Cursor     string
}

// Page is one page of a list, with the cursor of the next ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}
