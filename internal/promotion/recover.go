package promotion

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/commitmsg"
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
	// commitClockSlack is how much older than the promotion a commit
	// carrying it may look: committer times are not in history order.
	commitClockSlack = time.Hour
)

// pushedPromotions maps promotion ids found in the trailers of the local
// history's recent commits to their commit.
func pushedPromotions(s gitrepo.Snapshot) map[string]string {
	out := map[string]string{}
	_ = s.Walk(historyDepth, func(c gitrepo.CommitInfo) bool {
		for _, e := range commitmsg.Parse(c.Message).Entries {
			if _, ok := out[e.Promotion]; !ok && e.Promotion != "" {
				out[e.Promotion] = c.SHA
			}
		}
		return true
	})
	return out
}

// mayHavePushed reports whether an earlier attempt could have pushed p
// without recording it. A worker records what it did before it lets go of
// a promotion, so that happens only when the worker that held it died or
// overran its lease (the claim found the lease run out: Reclaimed), or
// recorded a transient failure after a push whose outcome it could not
// verify (Attempts > 0).
func mayHavePushed(p Promotion) bool { return p.Reclaimed || p.Attempts > 0 }

// pushedBefore looks further back than the local history for the group's
// promotions that may have been pushed by an earlier attempt, and maps
// those it finds to their commit. The look costs a deeper fetch, so it is
// only for those mayHavePushed names and the local history does not show:
// a promotion claimed for the first time, or released and claimed again
// without a failed attempt, was never pushed, and in steady running (and
// after a restart or a re-clone) nothing is fetched.
func (e *Engine) pushedBefore(ctx context.Context, g *group, s gitrepo.Snapshot, local map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if s.Head() == "" {
		return out, nil // the branch does not exist: nothing was pushed to it
	}
	want := map[string]bool{}
	var oldest time.Time
	for _, it := range g.items {
		if _, ok := local[it.p.ID]; ok || !mayHavePushed(it.p) {
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
		for _, e := range commitmsg.Parse(c.Message).Entries {
			if want[e.Promotion] {
				out[e.Promotion] = c.SHA
				delete(want, e.Promotion)
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
