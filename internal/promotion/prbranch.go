package promotion

// Pull-request branches. Every pull request Ferry opens gets a branch of
// its own, named for the promotion that opened it:
// ferry/<app>/<env>.<id>, or ferry/set/<set>/<env>.<id> for a release set.
// The id follows a dot (names have none), not a slash: Git cannot hold
// ferry/<app>/<env>/<id> beside a branch ferry/<app>/<env> of the old
// scheme, which hosts keep after the merge.
// A newer release for the same pull request pushes a new commit to that
// branch. A branch is deleted only once its pull request is merged or
// closed, never to start over: a host that closes the pull requests of a
// deleted branch (Gitea does so asynchronously, about a second later) can
// then never close one Ferry has just opened. Branches named before this
// scheme (ferry/<app>/<env>, ferry/set/<set>/<env>) stay in use until their
// pull request ends: an open promotion's recorded PRBranch wins.

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// shortIDLen is how much of a promotion id names its branch: the last 12
// hex digits of its UUIDv7 are random (48 bits), while the leading ones
// are its time and repeat for promotions created together.
const shortIDLen = 12

// shortID is the tail of a promotion id that names its pull request's
// branch.
func shortID(id string) string {
	if _, rest, ok := strings.Cut(id, "_"); ok {
		id = rest
	}
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > shortIDLen {
		id = id[len(id)-shortIDLen:]
	}
	return id
}

// branchIDSep separates a branch's environment from the promotion id that
// names it.
const branchIDSep = "."

// prBranch is the branch of a new pull request of app into env, opened by
// promotion id.
func prBranch(app, env, id string) string {
	return gitrepo.OwnBranchPrefix + app + "/" + env + branchIDSep + shortID(id)
}

// setBranchPrefix starts the branches of a release set's pull requests
// into env; the old scheme's branch is the prefix alone.
func setBranchPrefix(set, env string) string {
	return gitrepo.OwnBranchPrefix + "set/" + set + "/" + env
}

// setBranch is the branch of a new pull request of release set set into
// env, opened by its leading member's promotion id.
func setBranch(set, env, id string) string {
	return setBranchPrefix(set, env) + branchIDSep + shortID(id)
}

// takeOver returns the branch p's promotion pushes to: that of an open
// pull request it takes over, or its own (fresh, named for it, or taken
// over by an earlier attempt), or "" when it needs a fresh one. The branch
// to take over is recorded first (record), then each open promotion that
// pick accepts is superseded by newer, atomically and only while no worker
// holds it: a pull request found merged or closed meanwhile (whose worker
// deletes its branch) is never pushed to again, and a takeover is never
// lost to a failed save after it. An open promotion held by a worker for
// longer than busyWait is an error: p tries again later rather than open a
// second pull request beside it.
func (e *Engine) takeOver(ctx context.Context, p Promotion, open []Promotion, pick func(Promotion) bool, fresh, newer string, record func(branch string) error) (string, error) {
	var target *Promotion
	for i, q := range open {
		if q.ID != p.ID && pick(q) && q.PRBranch != "" {
			target = &open[i]
			break
		}
	}
	if target != nil && target.PRBranch != p.PRBranch {
		if err := record(target.PRBranch); err != nil {
			return "", fmt.Errorf("recording the branch to take over: %w", err)
		}
	}
	took := false
	for _, q := range open {
		if q.ID == p.ID || !pick(q) {
			continue
		}
		claimed, err := e.supersedeOpen(ctx, q.ID, newer)
		if err != nil {
			return "", err
		}
		if claimed && target != nil && q.ID == target.ID {
			took = true
		}
	}
	switch {
	case took:
		return target.PRBranch, nil
	case p.PRBranch == "" || p.PRBranch == fresh:
		return p.PRBranch, nil
	}
	// An earlier attempt recorded a branch to take over: its own only if
	// that attempt did supersede the promotion it took it from.
	mine, err := e.tookOver(ctx, p)
	if err != nil {
		return "", err
	}
	if mine {
		return p.PRBranch, nil
	}
	return "", nil
}

// tookOver reports whether p superseded an open promotion of its
// application and environment on the branch p recorded.
func (e *Engine) tookOver(ctx context.Context, p Promotion) (bool, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: p.Application, Environment: p.Environment, State: StateSuperseded, Limit: 50})
	if err != nil {
		return false, fmt.Errorf("listing superseded promotions: %w", err)
	}
	for _, q := range page.Items {
		if q.PRBranch == p.PRBranch && strings.Contains(q.Reason, "superseded by promotion "+p.ID) {
			return true, nil
		}
	}
	return false, nil
}

// recordBranch saves p (held by this worker) with the branch it is about
// to take over, keeping its lease.
func (e *Engine) recordBranch(ctx context.Context, p Promotion, branch string) error {
	p.PRBranch, p.UpdatedAt = branch, e.now().UTC()
	return e.store.UpdatePromotion(ctx, e.cfg.Owner, p)
}

// dropBranch deletes the branch of p's pull request, which the host says is
// merged or closed, unless an open promotion still records it (a release
// set's members before their leader completes them). Failing only leaves a
// branch behind, which no new pull request reuses.
func (e *Engine) dropBranch(ctx context.Context, repo *Repo, p Promotion) {
	branch := p.PRBranch
	if !strings.HasPrefix(branch, gitrepo.OwnBranchPrefix) {
		return
	}
	// A branch carries one environment's pull request (a set's members are
	// other applications, never another environment): every open promotion
	// of that environment is looked at, page by page, so none is missed.
	f := PromotionFilter{Environment: p.Environment, State: StatePROpen, Limit: 500}
	for {
		page, err := e.store.ListPromotions(ctx, f)
		if err != nil {
			e.log.Warn("deleting a pull request's branch", zap.String("branch", branch), zap.Error(err))
			return
		}
		for _, q := range page.Items {
			if q.ID != p.ID && q.PRBranch == branch {
				return
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if err := repo.Git.DeleteBranch(ctx, branch); err != nil {
		e.log.Warn("deleting a pull request's branch", zap.String("branch", branch), zap.Error(fmt.Errorf("pull request #%d: %w", p.PRNumber, err)))
	}
}
