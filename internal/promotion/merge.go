package promotion

import (
	"context"
	"fmt"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// mergePR merges an approved pull request: the host merges it, or a
// provider that merges by making Ferry's edit again on the base
// (EditMerger) gets the edit.
func (e *Engine) mergePR(ctx context.Context, prov PullRequests, it *item, repo *Repo, p Promotion, pr PR) {
	em, ok := prov.(EditMerger)
	if !ok {
		merged, err := prov.Merge(ctx, pr.Number, pr.HeadSHA)
		if err != nil {
			e.recheck(ctx, p, err)
			return
		}
		p.MergeSHA, p.MergedBy, p.Actor = merged.MergeSHA, "ferry", "ferry"
		e.complete(ctx, repo, it, p, StateMerged, fmt.Sprintf("pull request #%d merged by Ferry: approved and checks passed", pr.Number))
		e.dropBranch(ctx, repo, p)
		return
	}
	var failure string
	changed := false
	// The merge commit says who approved and who merged (the last to
	// approve), as the provider reports them, so that reindex restores them.
	merging := *it
	merging.p = p
	edit := Edit{Message: mergeMessage(&merging), Apply: func(s gitrepo.Snapshot) (map[string][]byte, error) {
		failure, changed = "", false
		out, ch, err := e.applyTarget(s, map[string][]byte{}, it)
		if err != nil {
			failure = err.Error()
			return nil, err
		}
		if changed = ch; !ch {
			return nil, nil
		}
		return map[string][]byte{it.target.Path: out}, nil
	}}
	merged, err := em.MergeEdit(ctx, pr.Number, pr.HeadSHA, edit)
	switch {
	case failure != "":
		e.fail(ctx, p, failure)
		return
	case err != nil:
		e.recheck(ctx, p, err)
		return
	}
	p.MergeSHA, p.MergedBy, p.Actor = merged.MergeSHA, merged.MergedBy, merged.MergedBy
	note := fmt.Sprintf("merged %s into %s on approval by %v", p.PRBranch, it.target.Branch, p.Approvers)
	if !changed {
		note = it.target.Branch + " already had the change; nothing to merge"
	}
	e.complete(ctx, repo, it, p, StateMerged, note)
}
