package promotion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// recordTimeout bounds writing the outcome of a commit to the store.
const recordTimeout = 10 * time.Second

// outcome is what one attempt did with one item.
type outcome struct {
	changed bool
	diff    string // of the edit, when changed
	done    string // SHA of an earlier commit that already carries the promotion
	failure string // permanent failure
}

// commitGroup writes one commit with every item of the group and records the
// results.
func (e *Engine) commitGroup(ctx context.Context, g *group) {
	var outcomes map[*item]*outcome
	var deep map[string]string // found beyond the local history, looked up once
	build := func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		outcomes = map[*item]*outcome{}
		pushed := pushedPromotions(s)
		if deep == nil {
			var err error
			if deep, err = e.pushedBefore(ctx, g, s, pushed); err != nil {
				return gitrepo.Change{}, err
			}
		}
		files := map[string][]byte{}
		var changed []*item
		for _, it := range g.items {
			o := &outcome{}
			outcomes[it] = o
			if sha, ok := pushed[it.p.ID]; ok {
				o.done = sha
				continue
			}
			if sha, ok := deep[it.p.ID]; ok {
				o.done = sha
				continue
			}
			if it.superseded != "" {
				continue // not pushed before: it just gives way
			}
			out, ch, err := e.applyTarget(s, files, it)
			if err != nil {
				o.failure = err.Error()
				continue
			}
			if ch {
				o.changed = true
				o.diff = editDiff(s, files, it.target.Path, out)
				files[it.target.Path] = out
				changed = append(changed, it)
			}
		}
		if g.set != "" && setRefused(g.set, g.items, outcomes) {
			return gitrepo.Change{}, nil // all or nothing: nothing pushed
		}
		if len(changed) == 0 {
			return gitrepo.Change{}, nil
		}
		return gitrepo.Change{Message: commitMessage(changed), Files: files}, nil
	}
	res, err := g.repo.Git.Commit(ctx, g.branch, build)
	// The outcome is recorded even when the work's time ran out (shutdown):
	// a promotion left leased would wait for its lease to expire.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err != nil {
		err = fmt.Errorf("writing to %s branch %s: %w", g.repo.Name, g.branch, err)
		if g.set != "" {
			e.retrySet(ctx, g.items, err) // due together again
			return
		}
		recordAll(g.items, func(it *item) { e.retry(ctx, it.p, err) })
		return
	}
	head := ""
	if res.Head != nil {
		head = res.Head.Head()
	}
	recordAll(g.items, func(it *item) {
		o := outcomes[it]
		p := it.p
		switch {
		case o == nil: // build never ran
			e.retry(ctx, p, errors.New("commit was not attempted"))
			return
		case o.failure != "":
			e.fail(ctx, p, o.failure)
			return
		case o.done == "" && it.superseded != "":
			p.State, p.Reason = StateSuperseded, it.superseded
			e.save(ctx, p)
			return
		case o.done != "":
			p.CommitSHA = o.done
		case o.changed && res.Changed:
			p.CommitSHA, p.Diff = res.SHA, o.diff
		default:
			p.CommitSHA, p.Noop = head, true
		}
		note := "committed " + p.CommitSHA
		if p.Noop {
			note = "no change: " + g.branch + " already has this image"
		}
		if p.Note != "" {
			note += "; " + p.Note // what a gate found on the way in
		}
		e.complete(ctx, g.repo, it, p, StateCommitted, note)
	})
	if res.Changed {
		e.log.Info("commit pushed", zap.String("repo", g.repo.Name), zap.String("branch", g.branch),
			zap.String("commit", res.SHA), zap.Int("promotions", len(g.items)), zap.Int("attempts", res.Attempts))
	}
}

// recordParallel bounds the outcomes of one batch written to the store at
// once. The store group-commits concurrent writes (one transaction, one
// fsync for many), so recording a batch's outcomes together costs a few
// transactions instead of one per promotion.
const recordParallel = 64

// recordAll runs record for every item, up to recordParallel at once, and
// returns when all are done. Each record writes its own promotion only.
func recordAll(items []*item, record func(it *item)) {
	if len(items) == 1 {
		record(items[0])
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, recordParallel)
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			record(it)
		})
	}
	wg.Wait()
}

// applyTarget sets the item's release in its target file, reading the file
// from files (edits earlier in the batch) or the snapshot, and proves the
// edit by rendering it when the engine has a RenderVerifier.
func (e *Engine) applyTarget(s gitrepo.Snapshot, files map[string][]byte, it *item) ([]byte, bool, error) {
	path := it.target.Path
	if err := manifest.ValidatePath("", path); err != nil {
		return nil, false, err
	}
	src, ok := files[path]
	if !ok {
		b, err := s.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("target file %s does not exist on branch %s", path, s.Branch())
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", path, err)
		}
		src = b
	}
	img := manifest.Image{Repository: it.rel.Repository, Tag: it.rel.Tag, Digest: it.rel.Digest}
	out, changed, err := manifest.Set(path, src, manifestTarget(it.app, it.target), img)
	return e.verifyRender(s, files, it, out, changed, err)
}

// manifestTarget converts a pipeline target to the editing engine's.
func manifestTarget(a *config.Application, t config.Target) manifest.Target {
	mt := manifest.Target{Kind: manifest.Kind(t.Kind), Image: a.Image, Name: t.Marker}
	if t.Helm != nil {
		mt.RepositoryPath, mt.TagPath, mt.DigestPath, mt.RegistryPath = t.Helm.Repository, t.Helm.Tag, t.Helm.Digest, t.Helm.Registry
	}
	return mt
}

// commitMessage says what moves where in its subject and lists each release
// in the body and trailers.
func commitMessage(items []*item) string {
	entries := make([]commitmsg.Entry, 0, len(items))
	for _, it := range items {
		entries = append(entries, entryOf(it))
	}
	return commitmsg.Format(entries)
}

// mergeMessage is the message of the built-in provider's merge of it's
// pull request: it says who approved and who merged, so that reindex can
// restore them.
func mergeMessage(it *item) string {
	e := entryOf(it)
	e.ApprovedBy = it.p.Approvers
	if n := len(it.p.Approvers); n > 0 {
		e.MergedBy = it.p.Approvers[n-1]
	}
	return commitmsg.FormatMerge(it.p.PRBranch, []commitmsg.Entry{e})
}

// entryOf is what a commit says about one item.
func entryOf(it *item) commitmsg.Entry {
	e := commitmsg.Entry{
		Release: it.rel.ID, Promotion: it.p.ID, Image: it.rel.ImageRef(),
		SourceCommit: it.rel.SourceCommit, CIRun: it.rel.CIRunURL, RequestedBy: it.p.RequestedBy,
		Application: it.p.Application, Environment: it.p.Environment, Path: it.target.Path,
		SourceRepo: it.rel.SourceRepo,
	}
	if it.p.Forced {
		e.ForcedBy = it.p.RequestedBy
	}
	return e
}
