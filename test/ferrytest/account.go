package ferrytest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferryhq/ferry/api"
)

// Tally says what became of every accepted build.
type Tally struct {
	Accepted   int // distinct releases answered 2xx
	Committed  int // in the trailers of exactly one commit, recorded so
	Superseded int // in no commit, recorded superseded by a newer build
	Lost       int // in no commit and not superseded
	Doubled    int // in the trailers of more than one commit
	// Problems says what is wrong, build by build: lost, doubled, or the
	// store disagreeing with the repository.
	Problems []string
}

// Account checks every accepted build against the commits of the branch and
// the promotions the store holds (into environment env): each must be in
// the Ferry-Release trailers of exactly one commit, whose Ferry-Promotion
// trailers carry the promotion recorded committed at that commit, or in
// none, its promotion recorded superseded by a newer promotion of the same
// application. Every build is a distinct image, so a no-op is a problem.
func Account(accepted []Accepted, promotions []api.Promotion, log []Commit, env string) Tally {
	var t Tally
	byID := map[string]api.Promotion{}
	byRelease := map[string][]api.Promotion{}
	for _, p := range promotions {
		byID[p.ID] = p
		if p.Environment == env {
			byRelease[p.ReleaseID] = append(byRelease[p.ReleaseID], p)
		}
	}
	commits := map[string]Commit{}
	inCommits := map[string][]string{}
	for _, c := range log {
		commits[c.SHA] = c
		for _, r := range c.Releases {
			inCommits[r] = append(inCommits[r], c.SHA)
		}
		for _, id := range c.Promotions {
			if _, ok := byID[id]; !ok {
				t.Problems = append(t.Problems, fmt.Sprintf("commit %s carries promotion %s, which the store does not know", c.SHA, id))
			}
		}
	}
	seen := map[string]bool{}
	for _, a := range accepted {
		if seen[a.ReleaseID] {
			continue
		}
		seen[a.ReleaseID] = true
		t.Accepted++
		what := fmt.Sprintf("release %s (%s %s)", a.ReleaseID, a.App, a.Tag)
		ps := byRelease[a.ReleaseID]
		if len(ps) != 1 {
			t.Problems = append(t.Problems, fmt.Sprintf("%s has %d promotions into %s, want 1", what, len(ps), env))
			if len(ps) == 0 {
				t.Lost++
				continue
			}
		}
		p := ps[0]
		shas := inCommits[a.ReleaseID]
		switch {
		case len(shas) > 1:
			t.Doubled++
			t.Problems = append(t.Problems, fmt.Sprintf("%s is in %d commits: %v", what, len(shas), shas))
		case len(shas) == 1:
			c := commits[shas[0]]
			if p.State == "committed" && !p.Noop && p.CommitSHA == c.SHA && slices.Contains(c.Promotions, p.ID) {
				t.Committed++
				continue
			}
			t.Problems = append(t.Problems, fmt.Sprintf("%s is in commit %s, but its promotion %s is %s noop=%v at %q (%s)",
				what, c.SHA, p.ID, p.State, p.Noop, p.CommitSHA, p.Reason))
		case p.State == "superseded":
			if err := checkSuperseded(p, byID); err != nil {
				t.Problems = append(t.Problems, fmt.Sprintf("%s: %v", what, err))
				continue
			}
			t.Superseded++
		default:
			t.Lost++
			t.Problems = append(t.Problems, fmt.Sprintf("%s is in no commit; its promotion %s is %s noop=%v at %q (%s)",
				what, p.ID, p.State, p.Noop, p.CommitSHA, p.Reason))
		}
	}
	return t
}

// checkSuperseded checks that p's reason names a newer promotion of the same
// application and environment.
func checkSuperseded(p api.Promotion, byID map[string]api.Promotion) error {
	_, rest, ok := strings.Cut(p.Reason, "superseded by promotion ")
	if !ok {
		return fmt.Errorf("superseded promotion %s gives no successor: %q", p.ID, p.Reason)
	}
	id, _, _ := strings.Cut(rest, " ")
	q, ok := byID[id]
	switch {
	case !ok:
		return fmt.Errorf("promotion %s is superseded by %s, which does not exist", p.ID, id)
	case q.Application != p.Application || q.Environment != p.Environment:
		return fmt.Errorf("promotion %s is superseded by %s of %s/%s", p.ID, id, q.Application, q.Environment)
	case !q.CreatedAt.After(p.CreatedAt) && !(q.CreatedAt.Equal(p.CreatedAt) && q.ID > p.ID):
		return fmt.Errorf("promotion %s is superseded by the older %s", p.ID, id)
	}
	return nil
}
