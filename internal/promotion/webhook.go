package promotion

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
)

// Webhook verifies a Git host's webhook delivery for a repository and wakes
// the promotions whose pull requests it is about. The webhook is only a
// hint: the worker then asks the host for the truth, so a delivery missed
// while Ferry was down is caught by the next poll all the same.
func (e *Engine) Webhook(ctx context.Context, repo string, h http.Header, body []byte) (Event, error) {
	ev, err := e.VerifyWebhook(repo, h, body)
	if err != nil || ev.Kind == EventIgnored {
		return ev, err
	}
	return ev, e.WakeFor(ctx, repo, ev)
}

// VerifyWebhook checks a delivery's signature or token with the
// repository's provider and parses it, without acting on it: a receiver
// that remembers delivery ids calls WakeFor only for a new one.
func (e *Engine) VerifyWebhook(repo string, h http.Header, body []byte) (Event, error) {
	wh, ok := e.webhooks[repo]
	if !ok {
		return Event{}, derrors.New(derrors.NotFound, "not_found",
			"repository %q has no Git host provider configured for webhooks", repo)
	}
	return wh.Parse(h, body)
}

// WakeFor wakes the open pull-request promotions of repo that a verified
// event is about, so the worker looks at their pull requests now.
func (e *Engine) WakeFor(ctx context.Context, repo string, ev Event) error {
	if ev.Kind == EventIgnored {
		return nil
	}
	ids, err := e.promotionsOf(ctx, repo, ev)
	if err != nil {
		return err
	}
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

// promotionsOf finds the open pull-request promotions an event is about.
func (e *Engine) promotionsOf(ctx context.Context, repo string, ev Event) ([]string, error) {
	f := PromotionFilter{State: StatePROpen, Limit: 500}
	bySHA := false // the store cannot select by commit: the loop does
	switch {
	case ev.Number > 0:
		f.PRNumber = ev.Number
	case strings.HasPrefix(ev.HeadRef, gitrepo.OwnBranchPrefix):
		app, env, ok := strings.Cut(strings.TrimPrefix(ev.HeadRef, gitrepo.OwnBranchPrefix), "/")
		if !ok {
			return nil, nil
		}
		f.Application, f.Environment = app, env
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
		if bySHA && p.CommitSHA != ev.HeadSHA {
			continue
		}
		if ref, ok := e.catalog.find(p.Application); !ok || ref.repo.Name != repo {
			continue // PR numbers are per repository
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}
