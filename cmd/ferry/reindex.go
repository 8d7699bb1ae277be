package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// reindexMaxCommits bounds the history read per branch.
const reindexMaxCommits = 1 << 24

// runReindex rebuilds the store's releases and promotions from the commit
// trailers of every configured repository: Git is the truth, the store an
// index of it.
func runReindex(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "server config file (ferry-server.yaml)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath == "" {
		fmt.Fprintln(stderr, "ferry reindex: give --config FILE")
		return 2
	}
	cfg, err := config.LoadServer(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "ferry reindex: %v\n", err)
		return 1
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		fmt.Fprintf(stderr, "ferry reindex: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := reindex(ctx, cfg, log, stdout); err != nil {
		fmt.Fprintf(stderr, "ferry reindex: %v\n", err)
		return 1
	}
	return 0
}

// reindex reads every repository's history and imports it into the store.
func reindex(ctx context.Context, cfg *config.Server, log *zap.Logger, stdout io.Writer) error {
	d, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.store.Close()
	imp, ok := d.store.(store.Importer)
	if !ok {
		return fmt.Errorf("the %s store cannot import history", cfg.Store.Driver)
	}
	var total struct{ commits, releases, promotions, added, skipped int }
	for i, r := range d.repos {
		h, commits, err := repoHistory(ctx, r, cfg.Repositories[i].Provider.Kind)
		if err != nil {
			return fmt.Errorf("repository %s: %w", r.Name, err)
		}
		for _, s := range h.skipped {
			fmt.Fprintf(stdout, "skipped: %s: %s\n", r.Name, s)
		}
		// Oldest first, so that ids and times come in as they were made.
		rels := make([]promotion.Release, 0, len(h.releases))
		for _, rel := range h.releases {
			rels = append(rels, rel)
		}
		slices.SortFunc(rels, func(a, b promotion.Release) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		for _, rel := range rels {
			ps := h.promotions[rel.ID]
			n, err := imp.ImportRelease(ctx, rel, ps)
			if err != nil {
				return err
			}
			total.added += n
			total.promotions += len(ps)
		}
		total.commits += commits
		total.releases += len(rels)
		total.skipped += len(h.skipped)
	}
	fmt.Fprintf(stdout, "reindex: repositories=%d commits=%d releases=%d promotions=%d added=%d skipped=%d\n",
		len(d.repos), total.commits, total.releases, total.promotions, total.added, total.skipped)
	return nil
}

// repoHistory reads the pipeline of r and the full history of every branch
// that holds one of its targets, and rebuilds releases and promotions from
// them. It also returns how many commits it read.
func repoHistory(ctx context.Context, r *promotion.Repo, provider string) (history, int, error) {
	snap, err := r.Git.Read(ctx, r.Branch)
	if err != nil {
		return history{}, 0, fmt.Errorf("reading branch %s: %w", r.Branch, err)
	}
	b, err := snap.ReadFile(r.PipelineFile)
	if errors.Is(err, fs.ErrNotExist) {
		return history{}, 0, fmt.Errorf("%s not found on branch %s", r.PipelineFile, r.Branch)
	}
	if err != nil {
		return history{}, 0, fmt.Errorf("reading %s: %w", r.PipelineFile, err)
	}
	p, err := config.ParsePipeline(b, r.Branch)
	if err != nil {
		return history{}, 0, fmt.Errorf("%s: %w", r.PipelineFile, err)
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
	n := 0
	for _, name := range names {
		bc := branchCommits{branch: name}
		err := r.Git.History(ctx, name, reindexMaxCommits, func(c gitrepo.CommitInfo) bool {
			bc.commits = append(bc.commits, c)
			return true
		})
		if err != nil {
			return history{}, 0, fmt.Errorf("reading the history of %s: %w", name, err)
		}
		n += len(bc.commits)
		branches = append(branches, bc)
	}
	builtin := provider == "" || provider == config.ProviderBuiltin
	return rebuild(ts, branches, builtin), n, nil
}
