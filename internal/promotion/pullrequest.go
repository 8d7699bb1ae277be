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
)

// provider returns the repository's pull-request provider: its Git host's,
// or the built-in one. Without either (an engine built without
// Deps.Builtin) its pull-request environments cannot proceed.
func (e *Engine) provider(repo string) (PullRequests, error) {
	if prov, ok := e.providers[repo]; ok {
		return prov, nil
	}
	return nil, fmt.Errorf("repository %s has no pull-request provider", repo)
}

// asMembers returns prov's Members, or nil when it resolves no teams.
func asMembers(prov PullRequests) Members {
	m, _ := prov.(Members)
	return m
}

// reviewedInFerry reports whether prov's pull requests are approved through
// Ferry's API (and merged by Ferry once approved).
func reviewedInFerry(prov PullRequests) bool {
	_, ok := prov.(Reviews)
	return ok
}

// openPR pushes the promotion's change to its PR branch and opens (or
// updates) the one pull request of its application and environment. Older
// open promotions of the same PR are superseded.
func (e *Engine) openPR(ctx context.Context, it *item, repo *Repo, env config.Environment) {
	p := it.p
	base := it.target.Branch
	prov, err := e.provider(repo.Name)
	if err != nil {
		e.fail(ctx, p, err.Error())
		return
	}

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
	fresh := prBranch(p.Application, env.Name, p.ID)
	branch, err := e.takeOver(ctx, p, open, func(Promotion) bool { return true }, fresh, p.ID+" ("+it.rel.Tag+")",
		func(b string) error { return e.recordBranch(ctx, p, b) })
	if err != nil {
		e.retry(ctx, p, err)
		return
	}
	if branch == "" {
		branch = fresh
	}
	// Recorded before the push: a retry pushes to the same branch.
	p.PRBranch, it.p.PRBranch = branch, branch
	var failure string
	res, err := repo.Git.Commit(ctx, branch, func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		failure, it.p.Diff = "", ""
		out, changed, err := e.applyTarget(s, map[string][]byte{}, it)
		if err != nil {
			failure = err.Error()
			return gitrepo.Change{}, nil
		}
		if !changed {
			return gitrepo.Change{}, nil
		}
		it.p.Diff = editDiff(s, map[string][]byte{}, it.target.Path, out)
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
		Title: prTitle(it, env),
		Body:  e.prBody(ctx, it, env, current, curErr),
	}
	pr, err := prov.Ensure(ctx, spec)
	if err != nil {
		e.retry(ctx, p, fmt.Errorf("opening pull request: %w", err))
		return
	}
	d, approvals, err := e.mergeDecision(ctx, it, repo.Name, env, prov, pr)
	if err != nil {
		e.retry(ctx, p, err)
		return
	}
	// The body just written listed it.p.Approvals.
	e.describeApprovals(ctx, prov, repo, it, env, pr, approvals)
	p.Approvers, p.Approvals = CountedApprovers(approvals), approvals
	p.State, p.Reason = StatePROpen, prReason(d, env, reviewedInFerry(prov), pr)
	p.PRNumber, p.PRURL, p.PRBranch, p.CommitSHA = pr.Number, pr.URL, branch, res.SHA
	if it.p.Diff != "" {
		p.Diff = it.p.Diff
	}
	p.NextAttemptAt = e.now().UTC().Add(e.cfg.ReconcileInterval)
	gateNote := p.Note // an admission gate's (who signed the image), if any
	p.Note = fmt.Sprintf("pull request #%d opened: %s", pr.Number, pr.URL)
	if gateNote != "" {
		p.Note += "; " + gateNote
	}
	e.save(ctx, p)
}

// prTitle says what a pull request moves where.
func prTitle(it *item, env config.Environment) string {
	return fmt.Sprintf("%s: %s ← %s (%s)", it.p.Application, env.Name, it.rel.Tag, it.rel.ShortDigest())
}

// supersedeOpen marks an older promotion of the same pull request as
// superseded by newer, and reports whether it did (false: it ended
// meanwhile). Another worker may hold it (a look at the pull request): the
// change waits for it and is made to what it wrote, so that its save does
// not undo the change.
func (e *Engine) supersedeOpen(ctx context.Context, id, newer string) (bool, error) {
	claimed := false
	err := e.updateUnleased(ctx, id, func(q *Promotion) error {
		if q.State != StatePROpen {
			return errUnchanged // it ended meanwhile
		}
		q.State, q.Reason = StateSuperseded, "superseded by promotion "+newer+" in the same pull request"
		q.NextAttemptAt = time.Time{}
		claimed = true
		return nil
	})
	if err != nil {
		e.log.Warn("superseding promotion", zap.String("promotion", id), zap.Error(err))
		return false, fmt.Errorf("superseding promotion %s: %w", id, err)
	}
	return claimed, nil
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

// mergeDecision runs the merge gates on an open pull request. It also
// returns the approvals with whether each counts (host and four eyes), so
// that the promotion records only the approvers that count.
func (e *Engine) mergeDecision(ctx context.Context, it *item, repo string, env config.Environment, prov PullRequests, pr PR) (Decision, []Approval, error) {
	in := e.gateInput(it.p, it.rel, env)
	in.PR, in.Approvals, in.ReviewedInFerry = &pr, hostApprovals(pr), reviewedInFerry(prov)
	in.Members = e.members.of(repo, asMembers(prov))
	d, err := decide(ctx, e.merging, in)
	if err != nil {
		return Decision{}, nil, err
	}
	approvals, err := countApprovals(ctx, in)
	return d, approvals, err
}

// prReason says what an open pull request waits for: a merge gate, the
// host's own protection (not mergeable, changes requested, checks), or,
// when nothing holds it, a merge (by Ferry or by someone).
func prReason(d Decision, env config.Environment, inFerry bool, pr PR) string {
	if !d.Open {
		return d.Reason
	}
	var held []string
	if !pr.Mergeable {
		why := pr.NotMergeable
		if why == "" {
			why = "no reason given"
		}
		held = append(held, "the host reports the pull request not mergeable: "+why)
	}
	if len(pr.ChangesRequested) > 0 {
		held = append(held, "changes requested by "+strings.Join(pr.ChangesRequested, ", ")+" (blocks until dismissed)")
	}
	if pr.Checks == ChecksFailed {
		held = append(held, "checks failed")
	}
	if len(held) > 0 {
		return "gates met, but " + strings.Join(held, "; ")
	}
	if env.Gates.AutoMerge || inFerry {
		return "approved; merging when checks pass"
	}
	return "mergeable: waiting for someone to merge"
}

// reconcilePR asks the host what became of a promotion's pull request and
// acts on it: merged → merged (and the next environments start), closed →
// rejected, open → approvals and auto-merge.
func (e *Engine) reconcilePR(ctx context.Context, it *item, repo *Repo, env config.Environment) {
	p := it.p
	prov, err := e.provider(repo.Name)
	if err != nil {
		e.fail(ctx, p, err.Error())
		return
	}
	inFerry := reviewedInFerry(prov)
	pr, err := prov.Get(ctx, p.PRNumber)
	switch {
	case errors.Is(err, derrors.ErrNotFound):
		e.fail(ctx, p, fmt.Sprintf("pull request #%d no longer exists on the host", p.PRNumber))
		return
	case err != nil:
		e.recheck(ctx, p, err)
		return
	}
	switch pr.State {
	case PRMerged:
		in := e.gateInput(p, it.rel, env)
		in.PR, in.Approvals = &pr, hostApprovals(pr)
		in.Members = e.members.of(repo.Name, asMembers(prov))
		if approvals, err := countApprovals(ctx, in); err == nil {
			p.Approvers, p.Approvals = CountedApprovers(approvals), approvals
		} else {
			// Merged on the host whatever Ferry counts now: the host's
			// approvers are what history can still say.
			p.Approvers = pr.Approvers
		}
		p.MergeSHA, p.MergedBy, p.Actor = pr.MergeSHA, pr.MergedBy, pr.MergedBy
		e.complete(ctx, repo, it, p, StateMerged, fmt.Sprintf("pull request #%d merged by %s", pr.Number, orSomeone(pr.MergedBy)))
		e.dropBranch(ctx, repo, p)
		return
	case PRClosed:
		p.State, p.Reason, p.Actor = StateRejected, fmt.Sprintf("pull request #%d closed without merging by %s", pr.Number, orSomeone(pr.ClosedBy)), pr.ClosedBy
		p.NextAttemptAt = time.Time{}
		e.save(ctx, p)
		e.dropBranch(ctx, repo, p)
		return
	}
	d, approvals, err := e.mergeDecision(ctx, it, repo.Name, env, prov, pr)
	if err != nil {
		e.recheck(ctx, p, err)
		return
	}
	e.describeApprovals(ctx, prov, repo, it, env, pr, approvals)
	p.Approvers, p.Approvals = CountedApprovers(approvals), approvals
	p.Reason = prReason(d, env, inFerry, pr)
	if pr.HeadSHA != "" && p.CommitSHA != "" && pr.HeadSHA != p.CommitSHA {
		p.Reason += fmt.Sprintf("; the branch was changed by hand (head %.8s, Ferry pushed %.8s)", pr.HeadSHA, p.CommitSHA)
	}
	ready := d.Open && (env.Gates.AutoMerge || inFerry) && pr.Mergeable && len(pr.ChangesRequested) == 0 &&
		(pr.Checks == ChecksPassed || pr.Checks == ChecksUnknown)
	if ready {
		e.mergePR(ctx, prov, it, repo, p, pr)
		return
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
// transaction. A set member's own promotion into its set's entry
// environment or beyond starts none: in the entry it may form a set
// release instead, in the same transaction (set_form.go).
func (e *Engine) complete(ctx context.Context, repo *Repo, it *item, p Promotion, st State, note string) {
	now := e.now().UTC()
	p.State, p.Reason, p.NextAttemptAt = st, "", time.Time{}
	p.Note = note
	p.LeaseOwner, p.LeaseUntil, p.UpdatedAt = "", time.Time{}, now
	var next []Promotion
	var form *SetFormation
	if pl := e.pipelineOf(repo); pl != nil {
		if set, atEntry, held := heldForSet(pl, p); held {
			// Downstream of its set's entry a member moves only as a set.
			if atEntry && !e.rollsBack(ctx, p, it.rel) {
				f := formation(pl, set, p, now)
				form = &f
			}
		} else {
			for _, n := range pl.Next(p.Environment) {
				next = append(next, Promotion{
					ID: newID("prm"), ReleaseID: p.ReleaseID, Application: p.Application, Environment: n.Name,
					State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
					RequestedBy: "ferry", Note: "started: " + p.Environment + " completed",
					SetRelease: p.SetRelease,
				})
			}
		}
	}
	owner := e.cfg.Owner
	if it.unleased {
		owner = "" // a set's follower, completed by its leader
	}
	if form != nil {
		sr, formed, err := e.store.CompleteFormingSet(ctx, owner, p, *form)
		if err != nil {
			e.log.Warn("completing promotion", zap.String("promotion", p.ID), zap.Error(err))
			return
		}
		if formed {
			next = form.Next
			e.log.Info("release set formed from its members", zap.String("set", sr.Name), zap.String("set_release", sr.ID),
				zap.String("environment", form.Entry), zap.Strings("releases", sr.Releases), zap.String("completed", p.ID))
		}
	} else if err := e.store.CompletePromotion(ctx, owner, p, next); err != nil {
		e.log.Warn("completing promotion", zap.String("promotion", p.ID), zap.Error(err))
		return
	}
	e.log.Info("promotion", zap.String("promotion", p.ID), zap.String("application", p.Application),
		zap.String("environment", p.Environment), zap.String("state", string(p.State)),
		zap.String("commit", p.CommitSHA), zap.String("merge", p.MergeSHA), zap.Int("next", len(next)))
	e.observeDeployment(p, it.rel, now)
	// In the background: the worker completing p may hold the very
	// promotions to supersede in the same batch, and superseding waits
	// until no worker holds them.
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*busyWait)
		defer cancel()
		e.closeBehind(cctx, repo, p, it.rel)
	}()
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
