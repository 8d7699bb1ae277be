package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/server"
)

// reloadInterval is how often the config file is checked for changes.
const reloadInterval = 2 * time.Second

// reloadSecrets re-reads the config file on SIGHUP and whenever the file
// changes (its modification time or size, checked every interval) and swaps
// in its tokens and webhook secrets: they rotate without a restart. A file
// that does not load keeps the old ones, and the log says why. Other
// changes need a restart.
func reloadSecrets(ctx context.Context, path string, interval time.Duration, tokens *server.Tokens, hooks *server.Hooks, log *zap.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	// The file was read before this started; a change in between must not
	// be missed, so the first check always reloads.
	var last stamp
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-hup:
			why = "SIGHUP"
		case <-tick.C:
			st := fileStamp(path)
			if st == last {
				continue
			}
			why = "file changed"
		}
		// Remember the file as read, broken or not: a broken file is
		// reported once, not every interval.
		last = fileStamp(path)
		cfg, err := config.LoadServer(path)
		if err != nil {
			log.Error("reloading config: keeping the old tokens and webhook secrets",
				zap.String("trigger", why), zap.Error(err))
			continue
		}
		tokens.Replace(cfg.Tokens)
		hooks.Replace(cfg.Webhooks)
		log.Info("config reloaded: tokens and webhook secrets replaced", zap.String("trigger", why),
			zap.Int("tokens", len(cfg.Tokens)), zap.Int("webhooks", len(cfg.Webhooks)))
	}
}

// stamp is what tells a changed file: modification time and size.
type stamp struct {
	mod  time.Time
	size int64
}

func fileStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size()}
}
