package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// Release managers approve and cancel pull requests that are reviewed in
// Ferry (a provider with Reviews, the built-in one); a Git host's pull
// requests are approved, merged and closed on the host.

// Approve records a release manager's approval of an open pull request
// reviewed in Ferry. Ferry merges it once the environment's approvals are met.
func (e *Engine) Approve(ctx context.Context, id, actor string) (Promotion, error) {
	p, err := e.store.GetPromotion(ctx, id)
	if err != nil {
		return Promotion{}, err
	}
	rv, err := e.reviews(ctx, p)
	if err != nil {
		return Promotion{}, err
	}
	if err := approvable(p); err != nil {
		return Promotion{}, err
	}
	if err := e.mayApprove(ctx, p, actor); err != nil {
		return Promotion{}, err
	}
	changed := false
	err = e.updateUnleased(ctx, id, func(p *Promotion) error {
		if err := approvable(*p); err != nil {
			return err
		}
		// Approved only while no worker holds the promotion: a worker
		// looking at the pull request would otherwise merge on this
		// approval while the answer says the promotion is not approvable.
		pr, err := rv.Approve(ctx, p.PRNumber, actor)
		if err != nil {
			return fmt.Errorf("approving pull request #%d: %w", p.PRNumber, err)
		}
		if changed = !slices.Equal(p.Approvers, pr.Approvers); !changed {
			return errUnchanged
		}
		p.Approvers = pr.Approvers
		p.Actor, p.Note = actor, "approved by "+actor
		p.Reason, p.Approvals, err = e.approvedReason(ctx, *p, pr, actor)
		return err
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

// mayApprove refuses the approval of a promotion by its own requester (who
// also forced it, if it was forced): four eyes, as the approvals gate
// counts them on a Git host, unless the environment allows self-approval.
// When the environment lists approvers, it also refuses anyone not named
// there: the built-in provider knows no teams, so a "team:" entry cannot
// admit anyone. A token's name is the identity: name a release manager's
// token like them.
func (e *Engine) mayApprove(ctx context.Context, p Promotion, actor string) error {
	env, err := e.envOf(ctx, p)
	if err != nil {
		return err
	}
	gates := env.Gates
	if len(gates.Approvers) > 0 {
		in, unresolved, err := isApprover(ctx, gates.Approvers, nil, actor)
		if err != nil {
			return err
		}
		if !in {
			msg := fmt.Sprintf("%s is not in the approvers of %s (%s)", actor, p.Environment, strings.Join(gates.Approvers, ", "))
			if unresolved {
				msg += "; the built-in provider has no teams, so team: entries admit nobody: list the approvers by name"
			}
			return derrors.New(derrors.Forbidden, "forbidden", "%s", msg)
		}
	}
	if actor == "" || actor == "ferry" || actor != p.RequestedBy || gates.AllowSelfApproval {
		return nil
	}
	return derrors.New(derrors.Forbidden, "forbidden",
		"%s requested promotion %s and may not approve it: four eyes (the environment's gates.allowSelfApproval turns this off)", actor, p.ID)
}

// envOf returns the environment p moves into as its repository's current
// pipeline declares it (none: the zero environment, no gates).
func (e *Engine) envOf(ctx context.Context, p Promotion) (config.Environment, error) {
	ref, err := e.catalog.lookup(ctx, p.Application)
	if err != nil {
		return config.Environment{}, err
	}
	if pl := e.pipelineOf(ref.repo); pl != nil {
		if env, ok := pl.Environment(p.Environment); ok {
			return env, nil
		}
	}
	return config.Environment{Name: p.Environment}, nil
}

// approvedReason says where p stands after actor's approval of its pull
// request pr (reviewed in Ferry): how many approvals count of how many the
// environment needs, and "merging" only once they are enough; and every
// approval with whether it counts.
func (e *Engine) approvedReason(ctx context.Context, p Promotion, pr PR, actor string) (string, []Approval, error) {
	env, err := e.envOf(ctx, p)
	if err != nil {
		return "", nil, err
	}
	in := e.gateInput(p, Release{}, env)
	in.PR, in.Approvals, in.ReviewedInFerry = &pr, hostApprovals(pr), true
	approvals, err := countApprovals(ctx, in)
	if err != nil {
		return "", nil, err
	}
	counted, need := len(CountedApprovers(approvals)), neededApprovals(env, true)
	reason := fmt.Sprintf("approved by %s: %d of %d approvals counted", actor, counted, need)
	if counted >= need {
		return reason + "; merging", approvals, nil
	}
	if un := uncounted(approvals); un != "" {
		reason += " (" + un + ")"
	}
	return reason + "; waiting for more", approvals, nil
}

func approvable(p Promotion) error {
	if p.State != StatePROpen {
		return derrors.New(derrors.Conflict, "not_approvable",
			"promotion %s is %s; only an open pull request can be approved", p.ID, p.State)
	}
	return nil
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
			if _, err := e.reviews(ctx, *p); err != nil {
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
	p, err := e.store.GetPromotion(ctx, id)
	if err != nil {
		return Promotion{}, err
	}
	if p.PRNumber > 0 {
		e.closePR(ctx, p)
	}
	e.broadcast()
	return p, nil
}

// closePR closes a cancelled promotion's pull request (and deletes its
// branch). It is the promotion that counts: a pull request left open is
// closed or replaced by the next promotion's.
func (e *Engine) closePR(ctx context.Context, p Promotion) {
	rv, err := e.reviews(ctx, p)
	if err != nil {
		return
	}
	if err := rv.Close(ctx, p.PRNumber, p.Reason); err != nil {
		e.log.Warn("closing a cancelled promotion's pull request", zap.String("promotion", p.ID), zap.Error(err))
	}
}

// reviewedPRs is a provider whose pull requests are reviewed in Ferry.
type reviewedPRs interface {
	PullRequests
	Reviews
}

// reviews returns the provider of p's pull request if it is reviewed in
// Ferry, and fails if it lives on a Git host.
func (e *Engine) reviews(ctx context.Context, p Promotion) (reviewedPRs, error) {
	ref, err := e.catalog.lookup(ctx, p.Application)
	if err != nil {
		return nil, err
	}
	prov, _ := e.provider(ref.repo.Name)
	rv, ok := prov.(reviewedPRs)
	if !ok {
		return nil, derrors.New(derrors.Conflict, "hosted_pull_request",
			"promotion %s's pull request lives on the Git host (%s): approve, merge or close it there", p.ID, p.PRURL)
	}
	return rv, nil
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
