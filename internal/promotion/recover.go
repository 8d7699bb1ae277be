package promotion

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// Work pushed just before a crash (or a lost push answer, or a lease that
// ran out) must not be pushed twice: before writing, the worker looks for
// each promotion's id in the Ferry-Promotion trailers of the branch.
const (
	// historyDepth is how many recent commits of the local history are
	// searched on every commit.
	historyDepth = 100
	// deepHistory bounds the look beyond the local history.
	deepHistory = 1000
	// clockSkew is how far apart the clocks of replicas (which stamp
	// promotions) and of the worker (which stamps its clone) may be.
	clockSkew = 10 * time.Second
	// commitClockSlack is how much older than the promotion a commit
	// carrying it may look: committer times are not in history order.
	commitClockSlack = time.Hour
)

// pushedPromotions maps promotion ids found in the trailers of the local
// history's recent commits to their commit.
func pushedPromotions(s gitrepo.Snapshot) map[string]string {
	out := map[string]string{}
	_ = s.Walk(historyDepth, func(c gitrepo.CommitInfo) bool {
		for _, id := range c.Trailers[TrailerPromotion] {
			if _, ok := out[id]; !ok {
				out[id] = c.SHA
			}
		}
		return true
	})
	return out
}

// pushedBefore looks further back than the local history for the group's
// promotions that could have been pushed before it began, and maps those it
// finds to their commit. The local history holds every commit that reached
// the branch after the snapshot's horizon, and a promotion is pushed only
// after it is created: so only promotions created before the horizon (by a
// process that then crashed, or before a re-clone, or whose push failed and
// dropped the clone) need the look, which costs a deeper fetch. In steady
// running every promotion is newer than the horizon and nothing is fetched.
func (e *Engine) pushedBefore(ctx context.Context, g *group, s gitrepo.Snapshot, local map[string]string) (map[string]string, error) {
	out := map[string]string{}
	horizon := s.Horizon()
	if horizon.IsZero() {
		return out, nil // the branch does not exist: nothing was pushed to it
	}
	want := map[string]bool{}
	var oldest time.Time
	for _, it := range g.items {
		if _, ok := local[it.p.ID]; ok || !it.p.CreatedAt.Before(horizon.Add(clockSkew)) {
			continue
		}
		want[it.p.ID] = true
		if oldest.IsZero() || it.p.CreatedAt.Before(oldest) {
			oldest = it.p.CreatedAt
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	start, visited := e.now(), 0
	err := g.repo.Git.History(ctx, g.branch, deepHistory, func(c gitrepo.CommitInfo) bool {
		visited++
		for _, id := range c.Trailers[TrailerPromotion] {
			if want[id] {
				out[id] = c.SHA
				delete(want, id)
			}
		}
		return len(want) > 0 && !c.When.Before(oldest.Add(-commitClockSlack))
	})
	if err != nil {
		return nil, fmt.Errorf("looking for earlier pushes of %d promotions: %w", len(want), err)
	}
	e.log.Info("looked for earlier pushes beyond the local history",
		zap.String("repo", g.repo.Name), zap.String("branch", g.branch), zap.Int("commits", visited),
		zap.Int("found", len(out)), zap.Int("not_found", len(want)), zap.Duration("took", e.now().Sub(start)))
	return out, nil
}
