package promotion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// Commit trailers: Git is the truth, and these let the history be rebuilt
// from the repository alone.
const (
	TrailerRelease      = "Ferry-Release"
	TrailerPromotion    = "Ferry-Promotion"
	TrailerImage        = "Ferry-Image"
	TrailerSourceCommit = "Ferry-Source-Commit"
	TrailerCIRun        = "Ferry-CI-Run"
)

// recordTimeout bounds writing the outcome of a commit to the store.
const recordTimeout = 10 * time.Second

// outcome is what one attempt did with one item.
type outcome struct {
	changed bool
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
			out, ch, err := applyTarget(s, files, it)
			if err != nil {
				o.failure = err.Error()
				continue
			}
			if ch {
				o.changed = true
				files[it.target.Path] = out
				changed = append(changed, it)
			}
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
		for _, it := range g.items {
			e.retry(ctx, it.p, fmt.Errorf("writing to %s branch %s: %w", g.repo.Name, g.branch, err))
		}
		return
	}
	head := ""
	if res.Head != nil {
		head = res.Head.Head()
	}
	for _, it := range g.items {
		o := outcomes[it]
		p := it.p
		switch {
		case o == nil: // build never ran
			e.retry(ctx, p, errors.New("commit was not attempted"))
			continue
		case o.failure != "":
			e.fail(ctx, p, o.failure)
			continue
		case o.done == "" && it.superseded != "":
			p.State, p.Reason = StateSuperseded, it.superseded
			e.save(ctx, p)
			continue
		case o.done != "":
			p.CommitSHA = o.done
		case o.changed && res.Changed:
			p.CommitSHA = res.SHA
		default:
			p.CommitSHA, p.Noop = head, true
		}
		note := "committed " + p.CommitSHA
		if p.Noop {
			note = "no change: " + g.branch + " already has this image"
		}
		e.complete(ctx, g.repo, it, p, StateCommitted, note)
	}
	if res.Changed {
		e.log.Info("commit pushed", zap.String("repo", g.repo.Name), zap.String("branch", g.branch),
			zap.String("commit", res.SHA), zap.Int("promotions", len(g.items)), zap.Int("attempts", res.Attempts))
	}
}

// applyTarget sets the item's release in its target file, reading the file
// from files (edits earlier in the batch) or the snapshot.
func applyTarget(s gitrepo.Snapshot, files map[string][]byte, it *item) ([]byte, bool, error) {
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
	return manifest.Set(path, src, manifestTarget(it.app, it.target), img)
}

// manifestTarget converts a pipeline target to the editing engine's.
func manifestTarget(a *config.Application, t config.Target) manifest.Target {
	mt := manifest.Target{Kind: manifest.Kind(t.Kind), Image: a.Image, Name: t.Marker}
	if t.Helm != nil {
		mt.RepositoryPath, mt.TagPath, mt.DigestPath = t.Helm.Repository, t.Helm.Tag, t.Helm.Digest
	}
	return mt
}

// commitMessage says what moves where in its subject and lists each release
// in the body and trailers.
func commitMessage(items []*item) string {
	var b strings.Builder
	envs := map[string]bool{}
	for _, it := range items {
		envs[it.p.Environment] = true
	}
	if len(items) == 1 {
		it := items[0]
		fmt.Fprintf(&b, "%s: %s ← %s (%s)\n\n", it.p.Application, it.p.Environment, it.rel.Tag, it.rel.ShortDigest())
	} else {
		names := make([]string, 0, len(envs))
		for e := range envs {
			names = append(names, e)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "%s ← %d releases\n\n", strings.Join(names, ", "), len(items))
	}
	for _, it := range items {
		fmt.Fprintf(&b, "- %s: %s → %s (%s)\n", it.p.Application, it.rel.ImageRef(), it.p.Environment, it.target.Path)
		if it.rel.SourceRepo != "" || it.rel.SourceCommit != "" {
			fmt.Fprintf(&b, "  source: %s %s\n", it.rel.SourceRepo, it.rel.SourceCommit)
		}
	}
	b.WriteString("\n")
	for _, it := range items {
		fmt.Fprintf(&b, "%s: %s\n", TrailerRelease, it.rel.ID)
		fmt.Fprintf(&b, "%s: %s\n", TrailerPromotion, it.p.ID)
		fmt.Fprintf(&b, "%s: %s\n", TrailerImage, it.rel.ImageRef())
		if it.rel.SourceCommit != "" {
			fmt.Fprintf(&b, "%s: %s\n", TrailerSourceCommit, it.rel.SourceCommit)
		}
		if it.rel.CIRunURL != "" {
			fmt.Fprintf(&b, "%s: %s\n", TrailerCIRun, it.rel.CIRunURL)
		}
	}
	return b.String()
}
