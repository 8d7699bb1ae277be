// Package reindex rebuilds the store's releases and promotions from the
// commits of the environment repositories: Git is the truth and the store
// an index of it. Rebuild reads one repository, Import writes what it read.
package reindex

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
)

// maxCommits bounds the history read per branch.
const maxCommits = 1 << 24

// Actor is who restored a row, in ReportedBy and transitions.
const Actor = "reindex"

// History is what Rebuild reads from one repository.
type History struct {
	Releases   map[string]promotion.Release
	Promotions map[string][]promotion.Promotion // by release id
	// Skipped says, trailer block by trailer block, what could not be
	// restored and why.
	Skipped []string
	// Commits is how many commits were read.
	Commits int
}

// Rebuild reads the pipeline of r and the full history of every branch
// that holds one of its targets, and rebuilds releases and promotions from
// the commits' messages. builtin says the repository's pull requests are
// Ferry's own (the built-in provider), whose merge commits carry trailers.
func Rebuild(ctx context.Context, r *promotion.Repo, builtin bool) (History, error) {
	snap, err := r.Git.Read(ctx, r.Branch)
	if err != nil {
		return History{}, fmt.Errorf("reading branch %s: %w", r.Branch, err)
	}
	b, err := snap.ReadFile(r.PipelineFile)
	if errors.Is(err, fs.ErrNotExist) {
		return History{}, fmt.Errorf("%s not found on branch %s", r.PipelineFile, r.Branch)
	}
	if err != nil {
		return History{}, fmt.Errorf("reading %s: %w", r.PipelineFile, err)
	}
	p, err := config.ParsePipeline(b, r.Branch)
	if err != nil {
		return History{}, fmt.Errorf("%s: %w", r.PipelineFile, err)
	}
	ts := pipelineTargets(p, r.Branch)
	var names []string
	for _, t := range ts {
		if !slices.Contains(names, t.branch) {
			names = append(names, t.branch)
		}
	}
	slices.Sort(names)
	var branches []branchCommits
	for _, name := range names {
		bc := branchCommits{branch: name}
		err := r.Git.History(ctx, name, maxCommits, func(c gitrepo.CommitInfo) bool {
			bc.commits = append(bc.commits, c)
			return true
		})
		if err != nil {
			return History{}, fmt.Errorf("reading the history of %s: %w", name, err)
		}
		branches = append(branches, bc)
	}
	return rebuild(ts, branches, builtin), nil
}

// Importer is the store as Import uses it; see store.Importer.
type Importer interface {
	ImportRelease(ctx context.Context, r promotion.Release, ps []promotion.Promotion) (added int, err error)
}

// Import adds h's releases and promotions to the store where they are
// missing, oldest release first so that ids and times come in as they
// were made. It returns how many rows it added.
func Import(ctx context.Context, imp Importer, h History) (int, error) {
	rels := make([]promotion.Release, 0, len(h.Releases))
	for _, rel := range h.Releases {
		rels = append(rels, rel)
	}
	slices.SortFunc(rels, func(a, b promotion.Release) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	added := 0
	for _, rel := range rels {
		n, err := imp.ImportRelease(ctx, rel, h.Promotions[rel.ID])
		if err != nil {
			return added, err
		}
		added += n
	}
	return added, nil
}

// PromotionCount is how many promotions h holds.
func (h History) PromotionCount() int {
	n := 0
	for _, ps := range h.Promotions {
		n += len(ps)
	}
	return n
}
