package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
)

// The built-in provider is for Git servers without a pull-request API and
// for dev mode: the open "pull request" is the promotion itself and its
// ferry/<app>/<env> branch; release managers approve or cancel it through
// the API, and on enough approvals Ferry merges the branch itself with a
// merge commit (never a force push).

// reconcileBuiltin merges an approved built-in pull request.
func (e *Engine) reconcileBuiltin(ctx context.Context, it *item, repo *Repo, env config.Environment) {
	p := it.p
	if len(p.Approvers) < max(env.Gates.Approvals, 1) {
		p.Reason = e.awaitingBuiltin(env, p.Approvers)
		p.NextAttemptAt = e.now().UTC().Add(e.cfg.ReconcileInterval)
		e.save(ctx, p)
		return
	}
	var failure string
	res, err := repo.Git.Commit(ctx, it.target.Branch, func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		failure = ""
		out, changed, err := applyTarget(s, map[string][]byte{}, it)
		if err != nil {
			failure = err.Error()
			return gitrepo.Change{}, nil
		}
		if !changed {
			return gitrepo.Change{}, nil
		}
		msg := fmt.Sprintf("Merge %s: %s", p.PRBranch, commitMessage([]*item{it}))
		return gitrepo.Change{Message: msg, Files: map[string][]byte{it.target.Path: out}}, nil
	}, gitrepo.MergeParent(p.PRBranch))
	switch {
	case err != nil:
		e.recheck(ctx, p, fmt.Errorf("merging %s into %s: %w", p.PRBranch, it.target.Branch, err))
		return
	case failure != "":
		e.fail(ctx, p, failure)
		return
	}
	p.MergeSHA = res.SHA
	p.MergedBy = p.Approvers[len(p.Approvers)-1]
	p.Actor = p.MergedBy
	note := fmt.Sprintf("merged %s into %s on approval by %v", p.PRBranch, it.target.Branch, p.Approvers)
	if !res.Changed {
		note = it.target.Branch + " already had the change; nothing to merge"
	}
	e.complete(ctx, repo, it, p, StateMerged, note)
	if err := repo.Git.DeleteBranch(ctx, p.PRBranch); err != nil {
		// A leftover branch is replaced by the next pull request anyway.
		e.log.Warn("deleting a merged pull request's branch", zap.String("branch", p.PRBranch), zap.Error(err))
	}
}

func (e *Engine) awaitingBuiltin(env config.Environment, approvers []string) string {
	need := max(env.Gates.Approvals, 1)
	return fmt.Sprintf("waiting for approvals: %d of %d (POST /api/v1/promotions/{id}/approve)", len(approvers), need)
}

// Approve records a release manager's approval of a built-in pull request.
// Ferry merges it once the environment's approvals are met.
func (e *Engine) Approve(ctx context.Context, id, actor string) (Promotion, error) {
	p, err := e.store.GetPromotion(ctx, id)
	if err != nil {
		return Promotion{}, err
	}
	if err := e.checkBuiltin(ctx, p); err != nil {
		return Promotion{}, err
	}
	changed := false
	err = e.updateUnleased(ctx, id, func(p *Promotion) error {
		if p.State != StatePROpen {
			return derrors.New(derrors.Conflict, "not_approvable",
				"promotion %s is %s; only an open pull request can be approved", id, p.State)
		}
		if changed = !slices.Contains(p.Approvers, actor); !changed {
			return errUnchanged
		}
		p.Approvers = append(slices.Clone(p.Approvers), actor)
		p.Actor, p.Note = actor, "approved by "+actor
		p.Reason = "approved by " + actor + "; merging"
		return nil
	})
	if err != nil {
		return Promotion{}, err
	}
	if changed {
		if err := e.store.Wake(ctx, id, e.now().UTC()); err != nil {
			return Promotion{}, err
		}
		e.Kick()
	}
	return e.store.GetPromotion(ctx, id)
}

// Cancel rejects a promotion that has not completed: an open built-in pull
// request, or one still pending or waiting.
func (e *Engine) Cancel(ctx context.Context, id, actor, why string) (Promotion, error) {
	err := e.updateUnleased(ctx, id, func(p *Promotion) error {
		switch p.State {
		case StatePending, StateWaiting:
		case StatePROpen:
			// Checked on the state written over: a pending promotion may
			// have opened its pull request on the host since it was asked.
			if err := e.checkBuiltin(ctx, *p); err != nil {
				return err
			}
		default:
			return derrors.New(derrors.Conflict, "not_cancellable",
				"promotion %s is %s; only pending, waiting or open built-in promotions can be cancelled", id, p.State)
		}
		p.State, p.Actor = StateRejected, actor
		p.Reason = "cancelled by " + actor
		if why != "" {
			p.Reason += ": " + why
		}
		p.NextAttemptAt = time.Time{}
		return nil
	})
	if err != nil {
		return Promotion{}, err
	}
	e.broadcast()
	return e.store.GetPromotion(ctx, id)
}

// checkBuiltin fails unless the built-in provider keeps p's pull request.
func (e *Engine) checkBuiltin(ctx context.Context, p Promotion) error {
	ref, err := e.catalog.lookup(ctx, p.Application)
	if err != nil {
		return err
	}
	if e.provider(ref.repo.Name) != nil {
		return derrors.New(derrors.Conflict, "hosted_pull_request",
			"promotion %s's pull request lives on the Git host (%s): approve, merge or close it there", p.ID, p.PRURL)
	}
	return nil
}

// busyWait bounds how long a release manager's decision waits for a worker
// that holds the promotion (a look at its pull request, or a merge).
const busyWait = 10 * time.Second

// errUnchanged from a change given to updateUnleased says there is nothing
// to write.
var errUnchanged = errors.New("unchanged")

// updateUnleased applies change to the promotion once no worker holds it,
// waiting up to busyWait, and writes it (unless change returns
// errUnchanged). A worker that claims it in between finds its lease gone
// when it saves; its work is redone from the new state.
func (e *Engine) updateUnleased(ctx context.Context, id string, change func(p *Promotion) error) error {
	deadline := time.Now().Add(busyWait)
	for {
		p, err := e.store.GetPromotion(ctx, id)
		if err != nil {
			return err
		}
		now := e.now().UTC()
		if p.LeaseOwner == "" || !p.LeaseUntil.After(now) {
			if err := change(&p); errors.Is(err, errUnchanged) {
				return nil
			} else if err != nil {
				return err
			}
			p.LeaseOwner, p.LeaseUntil, p.UpdatedAt = "", time.Time{}, now
			if err := e.store.UpdatePromotion(ctx, "", p); err != nil {
				return fmt.Errorf("updating promotion %s: %w", id, err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			de := derrors.New(derrors.Conflict, "promotion_busy",
				"promotion %s is being worked on right now; try again in a few seconds", id)
			de.RetryAfter = 5 * time.Second
			return de
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
