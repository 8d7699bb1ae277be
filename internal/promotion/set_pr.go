package promotion

// A release set's pull request: one per set and environment, on branch
// ferry/set/<set>/<env>.<id> (prbranch.go), holding every member's edit. The first member (in
// the set's order) leads: it looks at the pull request on the host and, when
// it is merged, closed or mergeable, completes, rejects or merges for all.
// The others follow: claimed alone, they wake the leader and wait.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// followerWait is how long a follower of a set's pull request sleeps: its
// leader completes it; the wait only bounds a look when the leader is lost.
const followerWait = time.Hour

// openSetPR pushes every member's edit to the set's pull-request branch in
// one commit and opens (or updates) the set's one pull request.
func (e *Engine) openSetPR(ctx context.Context, w setWork) {
	base := w.items[0].target.Branch
	prov, err := e.provider(w.ref.repo.Name)
	if err != nil {
		e.failSet(ctx, w.items, err.Error())
		return
	}
	baseSnap, err := w.ref.repo.Git.Read(ctx, base)
	if err != nil {
		e.retrySet(ctx, w.items, fmt.Errorf("reading %s: %w", base, err))
		return
	}
	currents := make([]setCurrent, len(w.items))
	there := 0
	for i, it := range w.items {
		img, err := readTarget(baseSnap, it.app, it.target)
		currents[i] = setCurrent{img: img, err: err}
		if err == nil && img.Digest == it.rel.Digest && img.Tag == it.rel.Tag {
			there++
		}
	}
	if there == len(w.items) {
		for _, it := range w.items {
			p := it.p
			p.CommitSHA, p.Noop = baseSnap.Head(), true
			e.complete(ctx, w.ref.repo, it, p, StateCommitted, "already on "+base)
		}
		return
	}
	open, err := e.openSetPromotions(ctx, w)
	if err != nil {
		e.retrySet(ctx, w.items, err)
		return
	}
	lead := w.items[0].p
	// This set release's open pull request comes first; an older set
	// release's is taken over; else the leader's own (takeOver).
	branch := ""
	for _, q := range open {
		if q.SetRelease == w.sr.ID {
			branch = cmp.Or(branch, q.PRBranch)
		}
	}
	fresh := setBranch(w.sr.Name, w.env.Name, lead.ID)
	taken, err := e.takeOver(ctx, lead, open, func(q Promotion) bool { return q.SetRelease != w.sr.ID }, fresh, lead.ID+" (release set "+w.sr.ID+")",
		func(b string) error {
			for _, it := range w.items {
				if err := e.recordBranch(ctx, it.p, b); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		e.retrySet(ctx, w.items, err)
		return
	}
	branch = cmp.Or(branch, taken, fresh)
	// Recorded before the push: a retry pushes to the same branch.
	for _, it := range w.items {
		it.p.PRBranch = branch
	}
	var failures []string
	diffs := map[*item]string{}
	res, err := w.ref.repo.Git.Commit(ctx, branch, func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		failures, diffs = nil, map[*item]string{}
		files := map[string][]byte{}
		var changed []*item
		for _, it := range w.items {
			out, ch, err := e.applyTarget(s, files, it)
			if err != nil {
				failures = append(failures, it.p.Application+": "+err.Error())
				continue
			}
			if ch {
				diffs[it] = editDiff(s, files, it.target.Path, out)
				files[it.target.Path] = out
				changed = append(changed, it)
			}
		}
		if len(failures) > 0 || len(changed) == 0 {
			return gitrepo.Change{}, nil
		}
		return gitrepo.Change{Message: commitMessage(changed), Files: files}, nil
	}, gitrepo.FromBranch(base))
	switch {
	case err != nil:
		e.retrySet(ctx, w.items, fmt.Errorf("pushing %s: %w", branch, err))
		return
	case len(failures) > 0:
		e.failSet(ctx, w.items, "release set "+w.sr.Name+" not promoted (nothing pushed): "+strings.Join(failures, "; "))
		return
	}
	for _, it := range w.items {
		it.p.Diff = diffs[it]
	}
	spec := PRSpec{
		Head: branch, Base: base,
		Title: setPRTitle(w),
		Body:  e.setPRBody(ctx, w, currents),
	}
	pr, err := prov.Ensure(ctx, spec)
	if err != nil {
		e.retrySet(ctx, w.items, fmt.Errorf("opening pull request: %w", err))
		return
	}
	d, approvals, err := e.mergeDecision(ctx, w.items[0], w.ref.repo.Name, w.env, prov, pr)
	if err != nil {
		e.retrySet(ctx, w.items, err)
		return
	}
	now := e.now().UTC()
	for i, it := range w.items {
		p := it.p
		p.Approvers, p.Approvals = CountedApprovers(approvals), approvals
		p.State, p.Reason = StatePROpen, prReason(d, w.env, reviewedInFerry(prov), pr)
		p.PRNumber, p.PRURL, p.PRBranch, p.CommitSHA, p.Diff = pr.Number, pr.URL, branch, res.SHA, it.p.Diff
		p.Noop = diffs[it] == ""
		p.NextAttemptAt = now.Add(e.cfg.ReconcileInterval)
		if i > 0 {
			p.NextAttemptAt = now.Add(followerWait)
		}
		note := fmt.Sprintf("pull request #%d opened for release set %s: %s", pr.Number, w.sr.Name, pr.URL)
		if p.Noop {
			note += "; " + it.p.Application + " already runs this image (no change inside the set)"
		}
		if p.Note != "" {
			note += "; " + p.Note
		}
		p.Note = note
		e.save(ctx, p)
	}
}

// setPRTitle says what a set's pull request moves where.
func setPRTitle(w setWork) string {
	var tags []string
	for _, it := range w.items {
		tags = append(tags, it.p.Application+" "+it.rel.Tag)
	}
	return fmt.Sprintf("%s (set): %s ← %s", w.sr.Name, w.env.Name, strings.Join(tags, ", "))
}

// setCurrent is what a member's target holds on the base branch.
type setCurrent struct {
	img manifest.Image
	err error
}

// openSetPromotions returns the members' promotions whose pull request is
// one of the set's into the environment (an older set release's, or this
// one's), under the old branch name or a new one.
func (e *Engine) openSetPromotions(ctx context.Context, w setWork) ([]Promotion, error) {
	prefix := setBranchPrefix(w.sr.Name, w.env.Name)
	var out []Promotion
	for _, it := range w.items {
		ps, err := e.openPromotions(ctx, it.p)
		if err != nil {
			return nil, err
		}
		for _, q := range ps {
			if q.PRBranch == prefix || strings.HasPrefix(q.PRBranch, prefix+branchIDSep) {
				out = append(out, q)
			}
		}
	}
	return out, nil
}

// runSetPR looks at a set's open pull request: the leader does it for all;
// a follower claimed without its leader wakes the leader.
func (e *Engine) runSetPR(ctx context.Context, w setWork) {
	all, err := e.setPromotions(ctx, w.sr.ID, w.env.Name)
	if err != nil {
		e.retrySet(ctx, w.items, err)
		return
	}
	order := func(app string) int { return slices.Index(w.sr.Applications, app) }
	all = slices.DeleteFunc(all, func(p Promotion) bool { return p.State != StatePROpen })
	slices.SortStableFunc(all, func(a, b Promotion) int { return order(a.Application) - order(b.Application) })
	if len(all) == 0 {
		return
	}
	leaderID := all[0].ID
	var leader *item
	for _, it := range w.items {
		if it.p.ID == leaderID {
			leader = it
			continue
		}
		// A follower lets go: the leader completes it.
		p := it.p
		p.NextAttemptAt = e.now().UTC().Add(followerWait)
		e.save(ctx, p)
	}
	if leader == nil {
		if err := e.store.Wake(ctx, leaderID, e.now().UTC()); err != nil {
			e.retrySet(ctx, w.items, err)
		}
		e.Kick()
		return
	}
	members := []*item{leader}
	for _, q := range all[1:] {
		q, err := e.store.GetPromotion(ctx, q.ID) // as the follower saved it
		if err != nil {
			e.recheck(ctx, leader.p, err)
			return
		}
		it, err := e.setItem(ctx, w.ref, w.env, q)
		if err != nil {
			e.recheck(ctx, leader.p, err)
			return
		}
		it.unleased = true
		members = append(members, it)
	}
	e.reconcileSetPR(ctx, w, members)
}

// reconcileSetPR asks the host what became of the set's pull request and
// acts for every member (members[0] is the leader, whose lease is held).
func (e *Engine) reconcileSetPR(ctx context.Context, w setWork, members []*item) {
	leader := members[0].p
	prov, err := e.provider(w.ref.repo.Name)
	if err != nil {
		e.failSet(ctx, members, err.Error())
		return
	}
	pr, err := prov.Get(ctx, leader.PRNumber)
	switch {
	case errors.Is(err, derrors.ErrNotFound):
		e.endSet(ctx, members, StateFailed, fmt.Sprintf("pull request #%d no longer exists on the host", leader.PRNumber), "")
		return
	case err != nil:
		e.recheck(ctx, leader, err)
		return
	}
	switch pr.State {
	case PRMerged:
		for _, it := range members {
			p := it.p
			p.MergeSHA, p.MergedBy, p.Actor = pr.MergeSHA, pr.MergedBy, pr.MergedBy
			e.complete(ctx, w.ref.repo, it, p, StateMerged, fmt.Sprintf("release set %s: pull request #%d merged by %s", w.sr.Name, pr.Number, orSomeone(pr.MergedBy)))
		}
		e.dropBranch(ctx, w.ref.repo, leader)
		return
	case PRClosed:
		e.endSet(ctx, members, StateRejected, fmt.Sprintf("pull request #%d closed without merging by %s", pr.Number, orSomeone(pr.ClosedBy)), pr.ClosedBy)
		e.dropBranch(ctx, w.ref.repo, leader)
		return
	}
	d, approvals, err := e.mergeDecision(ctx, members[0], w.ref.repo.Name, w.env, prov, pr)
	if err != nil {
		e.recheck(ctx, leader, err)
		return
	}
	e.describeSetApprovals(ctx, prov, w, members, pr, approvals)
	inFerry := reviewedInFerry(prov)
	ready := d.Open && (w.env.Gates.AutoMerge || inFerry) && pr.Mergeable && len(pr.ChangesRequested) == 0 &&
		(pr.Checks == ChecksPassed || pr.Checks == ChecksUnknown)
	for _, it := range members {
		it.p.Approvers, it.p.Approvals = CountedApprovers(approvals), approvals
	}
	if ready {
		e.mergeSetPR(ctx, prov, w, members, pr)
		return
	}
	p := leader
	p.Approvers, p.Approvals = members[0].p.Approvers, members[0].p.Approvals
	p.Reason = prReason(d, w.env, inFerry, pr)
	p.NextAttemptAt = e.now().UTC().Add(e.cfg.ReconcileInterval)
	e.save(ctx, p)
}

// endSet ends every member of a set's pull request in st (rejected, failed).
func (e *Engine) endSet(ctx context.Context, members []*item, st State, reason, actor string) {
	for _, it := range members {
		p := it.p
		p.State, p.Reason, p.Actor, p.NextAttemptAt = st, reason, actor, time.Time{}
		if it.unleased {
			p.LeaseOwner, p.LeaseUntil, p.UpdatedAt = "", time.Time{}, e.now().UTC()
			_ = e.store.UpdatePromotion(ctx, "", p)
			continue
		}
		e.save(ctx, p)
	}
}

// mergeSetPR merges the set's approved pull request: the host merges it,
// or the built-in provider makes every member's edit again on the base, in
// one merge commit.
func (e *Engine) mergeSetPR(ctx context.Context, prov PullRequests, w setWork, members []*item, pr PR) {
	leader := members[0].p
	em, ok := prov.(EditMerger)
	if !ok {
		merged, err := prov.Merge(ctx, pr.Number, pr.HeadSHA)
		if err != nil {
			e.recheck(ctx, leader, err)
			return
		}
		for _, it := range members {
			p := it.p
			p.MergeSHA, p.MergedBy, p.Actor = merged.MergeSHA, "ferry", "ferry"
			e.complete(ctx, w.ref.repo, it, p, StateMerged, fmt.Sprintf("release set %s: pull request #%d merged by Ferry: approved and checks passed", w.sr.Name, pr.Number))
		}
		e.dropBranch(ctx, w.ref.repo, leader)
		return
	}
	var failures []string
	changed := false
	edit := Edit{Message: setMergeMessage(leader.PRBranch, members), Apply: func(s gitrepo.Snapshot) (map[string][]byte, error) {
		failures, changed = nil, false
		files := map[string][]byte{}
		for _, it := range members {
			out, ch, err := e.applyTarget(s, files, it)
			if err != nil {
				failures = append(failures, it.p.Application+": "+err.Error())
				continue
			}
			if ch {
				files[it.target.Path], changed = out, true
			}
		}
		if len(failures) > 0 {
			return nil, errors.New(strings.Join(failures, "; "))
		}
		if !changed {
			return nil, nil
		}
		return files, nil
	}}
	merged, err := em.MergeEdit(ctx, pr.Number, pr.HeadSHA, edit)
	switch {
	case len(failures) > 0:
		e.endSet(ctx, members, StateFailed, "release set "+w.sr.Name+" not merged (nothing pushed): "+strings.Join(failures, "; "), "")
		return
	case err != nil:
		e.recheck(ctx, leader, err)
		return
	}
	for _, it := range members {
		p := it.p
		p.MergeSHA, p.MergedBy, p.Actor = merged.MergeSHA, merged.MergedBy, merged.MergedBy
		note := fmt.Sprintf("release set %s: merged %s into %s on approval by %v", w.sr.Name, p.PRBranch, it.target.Branch, p.Approvers)
		if !changed {
			note = it.target.Branch + " already had the change; nothing to merge"
		}
		e.complete(ctx, w.ref.repo, it, p, StateMerged, note)
	}
}

// setMergeMessage is the built-in provider's merge commit message of a
// set's pull request, with who approved and merged for reindex.
func setMergeMessage(branch string, members []*item) string {
	entries := make([]commitmsg.Entry, 0, len(members))
	for _, it := range members {
		en := entryOf(it)
		en.ApprovedBy = it.p.Approvers
		if n := len(it.p.Approvers); n > 0 {
			en.MergedBy = it.p.Approvers[n-1]
		}
		entries = append(entries, en)
	}
	return commitmsg.FormatMerge(branch, entries)
}
