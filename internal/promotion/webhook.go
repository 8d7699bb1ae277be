package promotion

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
)

// VerifyWebhook checks a delivery's signature or token with the
// repository's provider and parses it, without acting on it: a receiver
// that remembers delivery ids calls WakeFor only for a new one. The webhook
// is only a hint: the worker then asks the host for the truth, so a delivery
// missed while Ferry was down is caught by the next poll all the same.
func (e *Engine) VerifyWebhook(repo string, h Headers, body []byte) (Event, error) {
	wh, ok := e.webhooks[repo]
	if !ok {
		return Event{}, derrors.New(derrors.NotFound, "not_found",
			"repository %q has no Git host provider configured for webhooks", repo)
	}
	return wh.Parse(h, body)
}

// WakeFor wakes the open pull-request promotions of repo that a verified
// event is about, and those waiting on their health gate for the statuses
// of its commit, so the worker looks at them now.
func (e *Engine) WakeFor(ctx context.Context, repo string, ev Event) error {
	if ev.Kind == EventIgnored {
		return nil
	}
	ids, err := e.promotionsOf(ctx, repo, ev)
	if err != nil {
		return err
	}
	healthy, err := e.healthWaiters(ctx, repo, ev)
	if err != nil {
		return err
	}
	ids = append(ids, healthy...)
	now := e.now().UTC()
	for _, id := range ids {
		if err := e.store.Wake(ctx, id, now); err != nil {
			return fmt.Errorf("waking promotion %s: %w", id, err)
		}
	}
	e.log.Info("webhook", zap.String("repo", repo), zap.String("delivery", ev.Delivery),
		zap.String("kind", string(ev.Kind)), zap.Int("pr", ev.Number), zap.Int("woken", len(ids)))
	if len(ids) > 0 {
		e.Kick()
	}
	return nil
}

// promotionsOf finds the open pull-request promotions an event is about:
// by pull request number, else by the branch they recorded (whatever its
// naming scheme), else by the commit Ferry pushed.
func (e *Engine) promotionsOf(ctx context.Context, repo string, ev Event) ([]string, error) {
	f := PromotionFilter{State: StatePROpen, Limit: 500}
	bySHA, byRef := false, false // the store cannot select by commit or branch: the loop does
	switch {
	case ev.Number > 0:
		f.PRNumber = ev.Number
	case strings.HasPrefix(ev.HeadRef, gitrepo.OwnBranchPrefix):
		byRef = true
		// ferry/<app>/<env>[.<id>] narrows the look to one application
		// and environment; a set's branch (ferry/set/…) names no
		// application.
		if app, rest, ok := strings.Cut(strings.TrimPrefix(ev.HeadRef, gitrepo.OwnBranchPrefix), "/"); ok && app != "set" {
			env, _, _ := strings.Cut(rest, branchIDSep)
			f.Application, f.Environment = app, env
		}
	case ev.HeadSHA == "":
		return nil, nil
	default:
		bySHA = true
	}
	page, err := e.store.ListPromotions(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("finding promotions: %w", err)
	}
	var ids []string
	for _, p := range page.Items {
		if bySHA && p.CommitSHA != ev.HeadSHA || byRef && p.PRBranch != ev.HeadRef {
			continue
		}
		if ref, ok := e.catalog.find(p.Application); !ok || ref.repo.Name != repo {
			continue // PR numbers are per repository
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}
