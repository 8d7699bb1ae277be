package promotion

// A set release forms from its members' own releases: CI reports each
// member one by one, each moves on its own as far as the set's entry
// environment, and when a member's own promotion completes there while
// every other member has a release completed there too, Ferry forms a set
// release of each member's newest release completed in the entry (unless
// a set release of those very releases exists) and moves it on as one,
// exactly as a set CI reported at once. A member's own promotions stop at
// the entry: in the entry and after it, applications of a set are promoted
// automatically only as a set. The formation is stored in the same
// transaction as the completion that triggers it (Store.CompleteFormingSet),
// so a crash never loses it. A member rolled back in the entry (its
// release older than the one it replaces there) forms nothing: the
// rollback is about the entry, and the set downstream stays as it is.

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
)

// heldForSet returns the set whose member p is, when p is the member's own
// promotion (no set release) into the set's entry environment or one after
// it: such a promotion starts no promotion of its own when it completes.
// atEntry says whether p's environment is the entry itself, where its
// completion may form a set release.
func heldForSet(pl *config.Pipeline, p Promotion) (set *config.Set, atEntry, held bool) {
	if p.SetRelease != "" {
		return nil, false, false
	}
	s, ok := pl.SetOf(p.Application)
	if !ok || s.Entry == "" {
		return nil, false, false
	}
	seen := map[string]bool{}
	for todo := []string{s.Entry}; len(todo) > 0; todo = todo[1:] {
		env := todo[0]
		if seen[env] {
			continue
		}
		seen[env] = true
		if env == p.Environment {
			return s, env == s.Entry, true
		}
		for _, n := range pl.Next(env) {
			todo = append(todo, n.Name)
		}
	}
	return nil, false, false
}

// formation is the set release that p's completion in set's entry
// environment forms if every member has completed there: its promotions
// into the environments promoted from the entry, one per member, all
// started together.
func formation(pl *config.Pipeline, set *config.Set, p Promotion, now time.Time) SetFormation {
	sr := SetRelease{ID: newID("set"), Name: set.Name, Applications: append([]string(nil), set.Applications...),
		ReportedBy: "ferry", CreatedAt: now, Formed: FormedMembers}
	var next []Promotion
	for _, env := range pl.Next(set.Entry) {
		for _, app := range set.Applications {
			next = append(next, Promotion{
				ID: newID("prm"), Application: app, Environment: env.Name,
				State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
				RequestedBy: "ferry", SetRelease: sr.ID,
				Note: "started: release set " + set.Name + " formed from its members' releases in " + set.Entry +
					" when " + p.Application + " completed there",
			})
		}
	}
	return SetFormation{Set: sr, Entry: set.Entry, Next: next}
}

// rollsBack reports whether p, about to complete, puts into its
// environment a release older than the one that completed there last (a
// rollback). A failed look says no: the formation it allows is idempotent.
func (e *Engine) rollsBack(ctx context.Context, p Promotion, rel Release) bool {
	cur, runs, err := e.running(ctx, p.Application, p.Environment)
	if err != nil {
		e.log.Warn("reading what runs before a set member completes", zap.String("promotion", p.ID), zap.Error(err))
		return false
	}
	return runs && cur.ID != rel.ID && rel.CreatedAt.Before(cur.CreatedAt)
}
