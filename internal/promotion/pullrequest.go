package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// prBranch is the branch of the one open pull request per application and
// environment.
func prBranch(app, env string) string { return gitrepo.OwnBranchPrefix + app + "/" + env }

// provider returns the repository's pull-request provider; nil means the
// built-in one.
func (e *Engine) provider(repo string) PullRequests { return e.providers[repo] }

// openPR pushes the promotion's change to its PR branch and opens (or
// updates) the one pull request of its application and environment. Older
// open promotions of the same PR are superseded.
func (e *Engine) openPR(ctx context.Context, it *item, repo *Repo, env config.Environment) {
	p := it.p
	base := it.target.Branch
	branch := prBranch(p.Application, env.Name)

	baseSnap, err := repo.Git.Read(ctx, base)
	if err != nil {
		e.retry(ctx, p, fmt.Errorf("reading %s: %w", base, err))
		return
	}
	current, curErr := readTarget(baseSnap, it.app, it.target)
	if curErr == nil && current.Digest == it.rel.Digest && current.Tag == it.rel.Tag {
		// The base already runs this release: nothing to review.
		p.CommitSHA, p.Noop = baseSnap.Head(), true
		e.complete(ctx, repo, it, p, StateCommitted, "already on "+base)
		return
	}
	open, err := e.openPromotions(ctx, p)
	if err != nil {
		e.retry(ctx, p, err)
		return
	}
	if len(open) == 0 {
		// A new pull request starts from the base, not from an old branch.
		if err := repo.Git.DeleteBranch(ctx, branch); err != nil {
			e.retry(ctx, p, err)
			return
		}
	}
	var failure string
	res, err := repo.Git.Commit(ctx, branch, func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		failure = ""
		out, changed, err := applyTarget(s, map[string][]byte{}, it)
		if err != nil {
			failure = err.Error()
			return gitrepo.Change{}, nil
		}
		if !changed {
			return gitrepo.Change{}, nil
		}
		return gitrepo.Change{Message: commitMessage([]*item{it}), Files: map[string][]byte{it.target.Path: out}}, nil
	}, gitrepo.FromBranch(base))
	switch {
	case err != nil:
		e.retry(ctx, p, fmt.Errorf("pushing %s: %w", branch, err))
		return
	case failure != "":
		e.fail(ctx, p, failure)
		return
	}
	spec := PRSpec{
		Head:  branch,
		Base:  base,
		Title: fmt.Sprintf("%s: %s ← %s (%s)", p.Application, env.Name, it.rel.Tag, it.rel.ShortDigest()),
		Body:  e.prBody(ctx, it, env, current, curErr),
	}
	pr, awaiting := PR{Head: branch, Base: base, HeadSHA: res.SHA, State: PROpen}, e.awaitingBuiltin(env, nil)
	if prov := e.provider(repo.Name); prov != nil {
		if pr, err = prov.Ensure(ctx, spec); err != nil {
			e.retry(ctx, p, fmt.Errorf("opening pull request: %w", err))
			return
		}
		awaiting = e.awaiting(env, nil)
	}
	p.State, p.Reason = StatePROpen, awaiting
	p.PRNumber, p.PRURL, p.PRBranch, p.CommitSHA = pr.Number, pr.URL, branch, res.SHA
	p.NextAttemptAt = e.now().UTC().Add(e.cfg.ReconcileInterval)
	p.Note = "pull request opened"
	if pr.Number > 0 {
		p.Note = fmt.Sprintf("pull request #%d opened: %s", pr.Number, pr.URL)
	}
	e.save(ctx, p)
	for _, q := range open {
		if q.ID != p.ID {
			e.supersedeOpen(ctx, q.ID, p.ID+" ("+it.rel.Tag+")")
		}
	}
}

// supersedeOpen marks an older promotion of the same pull request as
// superseded by newer. Another worker may hold it (a look at the pull
// request): the change waits for it and is made to what it wrote, so that
// its save does not undo the change.
func (e *Engine) supersedeOpen(ctx context.Context, id, newer string) {
	err := e.updateUnleased(ctx, id, func(q *Promotion) error {
		if q.State != StatePROpen {
			return errUnchanged // it ended meanwhile
		}
		q.State, q.Reason = StateSuperseded, "superseded by promotion "+newer+" in the same pull request"
		q.NextAttemptAt = time.Time{}
		return nil
	})
	if err != nil {
		e.log.Warn("superseding promotion", zap.String("promotion", id), zap.Error(err))
	}
}

// openPromotions returns the promotions of p's application and environment
// that have a pull request open.
func (e *Engine) openPromotions(ctx context.Context, p Promotion) ([]Promotion, error) {
	page, err := e.store.ListPromotions(ctx, PromotionFilter{Application: p.Application, Environment: p.Environment, State: StatePROpen, Limit: 50})
	if err != nil {
		return nil, fmt.Errorf("listing open pull requests: %w", err)
	}
	return page.Items, nil
}

// awaiting says what an open pull request waits for.
func (e *Engine) awaiting(env config.Environment, approvers []string) string {
	need := env.Gates.Approvals
	switch {
	case need > len(approvers):
		return fmt.Sprintf("waiting for approvals: %d of %d", len(approvers), need)
	case env.Gates.AutoMerge:
		return "approved; merging when checks pass"
	}
	return "mergeable: waiting for someone to merge"
}

// reconcilePR asks the host what became of a promotion's pull request and
// acts on it: merged → merged (and the next environments start), closed →
// rejected, open → approvals and auto-merge.
func (e *Engine) reconcilePR(ctx context.Context, it *item, repo *Repo, env config.Environment) {
	p := it.p
	prov := e.provider(repo.Name)
	if prov == nil {
		e.reconcileBuiltin(ctx, it, repo, env)
		return
	}
	pr, err := prov.Get(ctx, p.PRNumber)
	switch {
	case errors.Is(err, derrors.ErrNotFound):
		e.fail(ctx, p, fmt.Sprintf("pull request #%d no longer exists on the host", p.PRNumber))
		return
	case err != nil:
		e.recheck(ctx, p, err)
		return
	}
	p.Approvers = pr.Approvers
	switch pr.State {
	case PRMerged:
		p.MergeSHA, p.MergedBy, p.Actor = pr.MergeSHA, pr.MergedBy, pr.MergedBy
		e.complete(ctx, repo, it, p, StateMerged, fmt.Sprintf("pull request #%d merged by %s", pr.Number, orSomeone(pr.MergedBy)))
		return
	case PRClosed:
		p.State, p.Reason, p.Actor = StateRejected, fmt.Sprintf("pull request #%d closed without merging by %s", pr.Number, orSomeone(pr.ClosedBy)), pr.ClosedBy
		p.NextAttemptAt = time.Time{}
		e.save(ctx, p)
		return
	}
	p.Reason = e.awaiting(env, pr.Approvers)
	if pr.HeadSHA != "" && p.CommitSHA != "" && pr.HeadSHA != p.CommitSHA {
		p.Reason += fmt.Sprintf("; the branch was changed by hand (head %.8s, Ferry pushed %.8s)", pr.HeadSHA, p.CommitSHA)
	}
	ready := len(pr.Approvers) >= env.Gates.Approvals && env.Gates.AutoMerge &&
		(pr.Checks == ChecksPassed || pr.Checks == ChecksUnknown)
	if ready {
		merged, err := prov.Merge(ctx, pr.Number, pr.HeadSHA)
		if err != nil {
			e.recheck(ctx, p, err)
			return
		}
		p.MergeSHA, p.MergedBy, p.Actor = merged.MergeSHA, "ferry", "ferry"
		e.complete(ctx, repo, it, p, StateMerged, fmt.Sprintf("pull request #%d merged by Ferry: approved and checks passed", pr.Number))
		return
	}
	if pr.Checks == ChecksFailed {
		p.Reason += "; checks failed"
	}
	p.NextAttemptAt = e.now().UTC().Add(e.cfg.ReconcileInterval)
	e.save(ctx, p)
}

// recheck keeps an open pull request open after a failed look at the host
// and schedules the next one; a rate limit is waited out and said so.
func (e *Engine) recheck(ctx context.Context, p Promotion, err error) {
	d := e.cfg.ReconcileInterval
	if de, ok := derrors.As(err); ok && de.RetryAfter > 0 {
		d = de.RetryAfter
	}
	p.NextAttemptAt = e.now().UTC().Add(d)
	p.Reason = "checking the pull request failed: " + publicError(err) + "; next look at " + p.NextAttemptAt.Format(time.RFC3339)
	if derrors.KindOf(err) == derrors.RateLimited {
		p.Reason = "waiting on the Git host's rate limit until " + p.NextAttemptAt.Format(time.RFC3339)
	}
	e.save(ctx, p)
}

// complete records a promotion as done (committed or merged) and starts
// the promotions into every environment promoted from it, in one store
// transaction.
func (e *Engine) complete(ctx context.Context, repo *Repo, it *item, p Promotion, st State, note string) {
	now := e.now().UTC()
	p.State, p.Reason, p.NextAttemptAt = st, "", time.Time{}
	p.Note = note
	p.LeaseOwner, p.LeaseUntil, p.UpdatedAt = "", time.Time{}, now
	var next []Promotion
	if pl := e.pipelineOf(repo); pl != nil {
		for _, n := range pl.Next(p.Environment) {
			next = append(next, Promotion{
				ID: newID("prm"), ReleaseID: p.ReleaseID, Application: p.Application, Environment: n.Name,
				State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
				RequestedBy: "ferry", Note: "started: " + p.Environment + " completed",
			})
		}
	}
	if err := e.store.CompletePromotion(ctx, e.cfg.Owner, p, next); err != nil {
		e.log.Warn("completing promotion", zap.String("promotion", p.ID), zap.Error(err))
		return
	}
	e.log.Info("promotion", zap.String("promotion", p.ID), zap.String("application", p.Application),
		zap.String("environment", p.Environment), zap.String("state", string(p.State)),
		zap.String("commit", p.CommitSHA), zap.String("merge", p.MergeSHA), zap.Int("next", len(next)))
	if len(next) > 0 {
		e.Kick()
	}
}

// pipelineOf returns the repository's current pipeline.
func (e *Engine) pipelineOf(repo *Repo) *config.Pipeline {
	e.catalog.mu.Lock()
	defer e.catalog.mu.Unlock()
	return e.catalog.loaded[repo.Name].pipeline
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}

// prBody describes the promotion for reviewers.
func (e *Engine) prBody(ctx context.Context, it *item, env config.Environment, current manifest.Image, curErr error) string {
	r := it.rel
	var b strings.Builder
	fmt.Fprintf(&b, "Ferry promotes **%s** to **%s**", r.Application, env.Name)
	if env.From != "" {
		fmt.Fprintf(&b, " (from %s)", env.From)
	}
	b.WriteString(".\n\n| | tag | digest |\n|---|---|---|\n")
	var prev *Release
	if curErr == nil {
		fmt.Fprintf(&b, "| now | `%s` | `%s` |\n", orDash(current.Tag), orDash(current.Digest))
		if current.Digest != "" {
			if pr, err := e.store.FindReleaseByDigest(ctx, r.Application, current.Digest); err == nil {
				prev = &pr
			}
		}
	} else {
		fmt.Fprintf(&b, "| now | ? | could not read: %s |\n", curErr)
	}
	fmt.Fprintf(&b, "| after | `%s` | `%s` |\n\n", r.Tag, r.Digest)
	if r.SourceCommit != "" {
		switch {
		case prev != nil && prev.SourceCommit != "" && prev.SourceRepo == r.SourceRepo && isWebURL(r.SourceRepo):
			fmt.Fprintf(&b, "Source changes: [%.8s…%.8s](%s/compare/%s...%s)\n\n", prev.SourceCommit, r.SourceCommit,
				strings.TrimSuffix(strings.TrimSuffix(r.SourceRepo, "/"), ".git"), prev.SourceCommit, r.SourceCommit)
		case prev != nil && prev.SourceCommit != "":
			fmt.Fprintf(&b, "Source changes: %s %.12s → %.12s\n\n", r.SourceRepo, prev.SourceCommit, r.SourceCommit)
		default:
			fmt.Fprintf(&b, "Source: %s %s\n\n", r.SourceRepo, r.SourceCommit)
		}
	}
	if r.CIRunURL != "" {
		fmt.Fprintf(&b, "CI run: %s\n\n", r.CIRunURL)
	}
	fmt.Fprintf(&b, "Files changed: `%s` (%s)\n\n", it.target.Path, it.target.Kind)
	if n := env.Gates.Approvals; n > 0 {
		fmt.Fprintf(&b, "Needs %d approval(s) from distinct people.", n)
		if env.Gates.AutoMerge {
			b.WriteString(" Ferry merges once approved and the checks pass.")
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "---\nFerry promotion `%s`, release `%s`, requested by %s.\n", it.p.ID, r.ID, orSomeone(it.p.RequestedBy))
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func isWebURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
