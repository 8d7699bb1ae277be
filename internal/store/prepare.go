package store

import (
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// PrepareRelease checks that r can be stored and returns it as it will be
// stored: times through Time, a zero CreatedAt set to now.
func PrepareRelease(r promotion.Release, now time.Time) (promotion.Release, error) {
	for _, f := range []struct{ name, v string }{
		{"id", r.ID}, {"application", r.Application}, {"repository", r.Repository},
		{"tag", r.Tag}, {"digest", r.Digest},
	} {
		if f.v == "" {
			return r, derrors.New(derrors.Invalid, "invalid_release", "release has no %s", f.name)
		}
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	r.CreatedAt = Time(r.CreatedAt)
	if !r.SourceCommittedAt.IsZero() {
		r.SourceCommittedAt = Time(r.SourceCommittedAt)
	}
	return r, nil
}

// PreparePromotion checks that p can be stored and returns it as it will be
// stored: times through Time, a zero CreatedAt set to now, a zero
// UpdatedAt set to CreatedAt, and no approvers as nil.
func PreparePromotion(p promotion.Promotion, now time.Time) (promotion.Promotion, error) {
	for _, f := range []struct{ name, v string }{
		{"id", p.ID}, {"release id", p.ReleaseID}, {"application", p.Application},
		{"environment", p.Environment},
	} {
		if f.v == "" {
			return p, derrors.New(derrors.Invalid, "invalid_promotion", "promotion has no %s", f.name)
		}
	}
	if !p.State.Valid() {
		return p, derrors.New(derrors.Invalid, "invalid_promotion", "promotion %q has unknown state %q", p.ID, p.State)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.CreatedAt = Time(p.CreatedAt)
	p.UpdatedAt = Time(p.UpdatedAt)
	p.NextAttemptAt = Time(p.NextAttemptAt)
	p.LeaseUntil = Time(p.LeaseUntil)
	p.Approvers = Approvers(p.Approvers)
	return p, nil
}

// PageOf cuts rows, fetched with one row more than limit, into a page whose
// Next points after its last item when more rows follow.
func PageOf[T any](rows []T, limit int, key func(T) Cursor) promotion.Page[T] {
	if len(rows) <= limit {
		return promotion.Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return promotion.Page[T]{Items: rows, Next: key(rows[limit-1]).Encode()}
}

// PrepareCreateRelease prepares the arguments of CreateRelease: the release,
// and its promotions, which get the release's ID and Application when they
// have none and must not name another release.
func PrepareCreateRelease(r promotion.Release, ps []promotion.Promotion, now time.Time) (promotion.Release, []promotion.Promotion, error) {
	r, err := PrepareRelease(r, now)
	if err != nil {
		return r, nil, err
	}
	out := make([]promotion.Promotion, len(ps))
	for i, p := range ps {
		p = ofRelease(p, r)
		if p.ReleaseID != r.ID {
			return r, nil, derrors.New(derrors.Invalid, "invalid_promotion", "promotion %q names release %q, not %q", p.ID, p.ReleaseID, r.ID)
		}
		if out[i], err = PreparePromotion(p, now); err != nil {
			return r, nil, err
		}
	}
	return r, out, nil
}

// ofRelease returns p with r's ID and Application where p has none.
func ofRelease(p promotion.Promotion, r promotion.Release) promotion.Promotion {
	if p.ReleaseID == "" {
		p.ReleaseID = r.ID
	}
	if p.Application == "" {
		p.Application = r.Application
	}
	return p
}

// CheckClaim checks the arguments of ClaimDue: an owner (an empty one would
// read as a free lease), a positive lease and a non-negative limit.
func CheckClaim(owner string, lease time.Duration, limit int) error {
	switch {
	case owner == "":
		return derrors.New(derrors.Invalid, "invalid_claim", "claim has no owner")
	case lease <= 0:
		return derrors.New(derrors.Invalid, "invalid_claim", "lease %s is not positive", lease)
	case limit < 0:
		return derrors.New(derrors.Invalid, "invalid_claim", "limit %d is negative", limit)
	}
	return nil
}

// PrepareIdem returns rec as PutIdempotency stores it: in flight, with no
// answer, and a zero CreatedAt set to now.
func PrepareIdem(rec IdemRecord, now time.Time) IdemRecord {
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	rec.CreatedAt = Time(rec.CreatedAt)
	rec.LeaseUntil = Time(rec.LeaseUntil)
	rec.Status, rec.Body, rec.Completed = 0, nil, false
	return rec
}
