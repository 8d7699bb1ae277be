package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// DefaultActor is the actor of a transition nobody in particular caused:
// the engine itself.
const DefaultActor = "ferry"

// ActiveStates are the states of a promotion that still has work: ClaimDue
// leases them and Wake wakes them. Drivers spell the same list in SQL (their
// claim query and its partial index); a test holds the two together.
var ActiveStates = []promotion.State{promotion.StatePending, promotion.StateWaiting, promotion.StatePROpen}

// FirstTransition returns the transition that CreateRelease, CreatePromotion
// and CompletePromotion record for a new promotion p (as PreparePromotion
// returns it): its state at its creation time, by p.Actor, else
// p.RequestedBy, else DefaultActor, for p.Note, else p.Reason.
func FirstTransition(p promotion.Promotion) promotion.Transition {
	return promotion.Transition{
		PromotionID: p.ID,
		At:          p.CreatedAt,
		State:       p.State,
		Actor:       firstOf(p.Actor, p.RequestedBy, DefaultActor),
		Reason:      firstOf(p.Note, p.Reason),
	}
}

// NextTransition returns the transition that UpdatePromotion records when
// it writes p (as PrepareUpdate returns it) over a row in state with reason,
// and false when neither State nor Reason changes: then nothing is recorded,
// whatever p.Note says. The transition is at p.UpdatedAt, by p.Actor, else
// DefaultActor, for p.Note, else p.Reason.
func NextTransition(state promotion.State, reason string, p promotion.Promotion) (promotion.Transition, bool) {
	if p.State == state && p.Reason == reason {
		return promotion.Transition{}, false
	}
	return promotion.Transition{
		PromotionID: p.ID,
		At:          p.UpdatedAt,
		State:       p.State,
		Actor:       firstOf(p.Actor, DefaultActor),
		Reason:      firstOf(p.Note, p.Reason),
	}, true
}

// PrepareUpdate checks the promotion UpdatePromotion is given and returns it
// as it will be written: a zero UpdatedAt set to now, times through Time,
// and no approvers as nil.
func PrepareUpdate(p promotion.Promotion, now time.Time) (promotion.Promotion, error) {
	if !p.State.Valid() {
		return p, derrors.New(derrors.Invalid, "invalid_promotion", "promotion %q has unknown state %q", p.ID, p.State)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = now
	}
	p.UpdatedAt = Time(p.UpdatedAt)
	p.NextAttemptAt = Time(p.NextAttemptAt)
	p.LeaseUntil = Time(p.LeaseUntil)
	p.Approvers = Approvers(p.Approvers)
	return p, nil
}

// PrepareComplete prepares the arguments of CompletePromotion: p as
// PrepareUpdate returns it, and next as PreparePromotion returns each.
func PrepareComplete(p promotion.Promotion, next []promotion.Promotion, now time.Time) (promotion.Promotion, []promotion.Promotion, error) {
	p, err := PrepareUpdate(p, now)
	if err != nil {
		return p, nil, err
	}
	out := make([]promotion.Promotion, len(next))
	for i, n := range next {
		if out[i], err = PreparePromotion(n, now); err != nil {
			return p, nil, err
		}
	}
	return p, out, nil
}

// KeepWake keeps a wake that came while owner held p: a claim sets the
// stored next attempt to the lease's end (the time a crashed holder's work
// is taken up again), so a stored next attempt before the stored lease end
// (until) is a Wake's, made after the holder read the host. Its save must
// not push that wake out to its own next look (the reconcile interval):
// the event the wake is for (a pull request closed, approved, merged)
// would wait for that look. p keeps its own time when it is earlier, when
// it ends (a final state has no next attempt) or when owner does not hold
// the lease.
func KeepWake(p promotion.Promotion, owner string, next, until time.Time) promotion.Promotion {
	if owner == "" || next.IsZero() || !next.Before(until) || !slices.Contains(ActiveStates, p.State) {
		return p
	}
	if p.NextAttemptAt.After(next) {
		p.NextAttemptAt = next
	}
	return p
}

// CheckLease checks that a write by owner may change a row whose lease
// holder is holder: owner "" writes whoever holds it, another owner only
// its own lease. Else it is derrors.ErrConflict.
func CheckLease(owner, holder string) error {
	if owner != "" && holder != owner {
		return fmt.Errorf("leased by %q, not %q: %w", holder, owner, derrors.ErrConflict)
	}
	return nil
}

// Approvers returns a as stores give it back: nil when it is empty, so that
// nil and an empty list, which stores do not tell apart, read back alike.
func Approvers(a []string) []string {
	if len(a) == 0 {
		return nil
	}
	return a
}

// firstOf returns the first non-empty string of ss, or "".
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
