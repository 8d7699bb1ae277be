package promotion

import (
	"context"
	"time"
)

// SetRelease is a release of a release set: one release per member
// application, promoted as one commit or one pull request per environment.
type SetRelease struct {
	ID   string
	Name string // the set's name in the pipeline
	// Applications and Releases are the members and their releases, in
	// the set's order, index for index.
	Applications []string
	Releases     []string
	ReportedBy   string
	CreatedAt    time.Time
	// Formed says how the set release came to be: FormedReported (CI
	// reported the set at once; "" is read as it) or FormedMembers.
	Formed string
}

// How a set release formed.
const (
	// FormedReported: CI reported every member's build at once.
	FormedReported = "reported"
	// FormedMembers: Ferry formed it when a member's own promotion
	// completed in the set's entry environment and every other member had
	// a release completed there (see SetFormation).
	FormedMembers = "members"
)

// SetFormation is a set release that a member's completion in the set's
// entry environment forms, if every member has a release completed there
// and no set release of the set holds those very releases.
type SetFormation struct {
	// Set is the set release to form: ID, Name, Applications (the set's
	// members, in its order), ReportedBy, CreatedAt and Formed. The store
	// fills Releases with each member's newest release completed in Entry.
	Set   SetRelease
	Entry string
	// Next are the set release's promotions into the environments after
	// Entry, one per member and environment; the store fills each one's
	// ReleaseID with its member's release and SetRelease with Set.ID.
	Next []Promotion
}

// ReleaseOf returns the release of app in the set release.
func (s SetRelease) ReleaseOf(app string) (string, bool) {
	for i, a := range s.Applications {
		if a == app && i < len(s.Releases) {
			return s.Releases[i], true
		}
	}
	return "", false
}

// SetReleaseFilter selects set releases, newest first.
type SetReleaseFilter struct {
	Name   string // empty: any set
	Limit  int    // 1..500; 0 means 50
	Cursor string
}

// SetStore is the part of Store for release sets.
type SetStore interface {
	// CreateSetRelease stores a set release, its members' releases and
	// the promotions ps in one transaction. A member release whose
	// application, tag and digest are already stored is not stored again:
	// the set release and ps name the stored one. It returns the set
	// release as stored.
	CreateSetRelease(ctx context.Context, s SetRelease, rels []Release, ps []Promotion) (SetRelease, error)
	GetSetRelease(ctx context.Context, id string) (SetRelease, error)
	// CreatePromotions stores promotions in one transaction: all or none
	// (a set release promoted or rolled back into an environment), with
	// pins, each made the active pin of its application and environment
	// as CreatePin makes it (the members a set rollback pins, or whose pin
	// an explicit set promotion moves): the promotions never run without
	// their pins.
	CreatePromotions(ctx context.Context, ps []Promotion, pins []Pin) error
	// CompleteFormingSet is CompletePromotion of a set member's own
	// promotion p (no set release) into f.Entry, and, in the same
	// transaction, the formation of f.Set with its promotions f.Next when
	// every member of the set has a release completed in f.Entry (p's
	// included) and no set release of the set holds those releases.
	// Formations of one set are serialized, so that two members completing
	// at once on two replicas form the set once. It returns the set
	// release formed, and false when none was.
	CompleteFormingSet(ctx context.Context, owner string, p Promotion, f SetFormation) (SetRelease, bool, error)
	ListSetReleases(ctx context.Context, f SetReleaseFilter) (Page[SetRelease], error)
}
