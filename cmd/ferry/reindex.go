package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/reindex"
)

func newReindexCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "reindex --config FILE",
		Short: "Rebuild releases and promotions from the repositories' commit trailers",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(runReindex(cfgPath, stdout, stderr)) },
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "server config file (ferry-server.yaml)")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	return cmd
}

// runReindex rebuilds the store's releases and promotions from the commits
// of every configured repository (see internal/reindex).
func runReindex(path string, stdout, stderr io.Writer) int {
	cfgPath := &path
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
	if err := reindexAll(ctx, cfg, log, stdout); err != nil {
		fmt.Fprintf(stderr, "ferry reindex: %v\n", err)
		return 1
	}
	return 0
}

// reindexAll rebuilds every repository's history and imports it.
func reindexAll(ctx context.Context, cfg *config.Server, log *zap.Logger, stdout io.Writer) error {
	d, err := build(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer d.store.Close()
	imp, ok := d.store.(reindex.Importer)
	if !ok {
		return fmt.Errorf("the %s store cannot import history", cfg.Store.Driver)
	}
	var total struct{ commits, releases, promotions, added, skipped int }
	for i, r := range d.repos {
		kind := cfg.Repositories[i].Provider.Kind
		h, err := reindex.Rebuild(ctx, r, kind == "" || kind == config.ProviderBuiltin)
		if err != nil {
			return fmt.Errorf("repository %s: %w", r.Name, err)
		}
		for _, s := range h.Skipped {
			fmt.Fprintf(stdout, "skipped: %s: %s\n", r.Name, s)
		}
		n, err := reindex.Import(ctx, imp, h)
		if err != nil {
			return err
		}
		total.commits += h.Commits
		total.releases += len(h.Releases)
		total.promotions += h.PromotionCount()
		total.added += n
		total.skipped += len(h.Skipped)
	}
	fmt.Fprintf(stdout, "reindex: repositories=%d commits=%d releases=%d promotions=%d added=%d skipped=%d\n",
		len(d.repos), total.commits, total.releases, total.promotions, total.added, total.skipped)
	return nil
}
