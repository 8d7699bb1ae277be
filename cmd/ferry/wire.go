package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry"
	"github.com/ferryhq/ferry/internal/scm/gitea"
	"github.com/ferryhq/ferry/internal/scm/github"
	"github.com/ferryhq/ferry/internal/scm/gitlab"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

// serverStore is what serve needs of a store.
type serverStore interface {
	promotion.Store
	store.IdempotencyStore
	Ping(ctx context.Context) error
}

type deps struct {
	store     serverStore
	registry  *registry.Verifier
	repos     []*promotion.Repo
	providers map[string]promotion.Provider
}

// build makes the adapters named by the config.
func build(ctx context.Context, cfg *config.Server, log *zap.Logger) (*deps, error) {
	var d deps
	var err error
	switch cfg.Store.Driver {
	case "postgres":
		d.store, err = postgres.Open(ctx, cfg.Store.DSN.Value())
	default:
		d.store, err = sqlite.Open(ctx, cfg.Store.DSN.Value())
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s store: %w", cfg.Store.Driver, err)
	}
	hosts := make([]registry.Host, 0, len(cfg.Registries))
	for _, r := range cfg.Registries {
		hosts = append(hosts, registry.Host{
			Host: r.Host, Insecure: r.Insecure, Username: r.Username,
			Password: r.Password.Value(), Token: r.Token.Value(), AuthHosts: r.AuthHosts,
		})
	}
	d.registry, err = registry.New(registry.Config{Hosts: hosts, Timeout: cfg.Limits.RegistryTimeout.D()})
	if err != nil {
		d.store.Close()
		return nil, fmt.Errorf("registries: %w", err)
	}
	for i, r := range cfg.Repositories {
		g, err := gitrepo.Open(gitrepo.Config{
			URL: r.URL,
			Auth: gitrepo.Auth{
				Username: r.Auth.Username, Token: r.Auth.Token.Value(),
				SSHKey: []byte(r.Auth.SSHKey.Value()), SSHKeyPassphrase: r.Auth.SSHKeyPassphrase.Value(),
				SSHKnownHosts: r.Auth.KnownHosts,
			},
			Author:               gitrepo.Signature{Name: r.Author.Name, Email: r.Author.Email},
			SigningKey:           r.SigningKey.Value(),
			SigningKeyPassphrase: r.SigningPass.Value(),
			Timeout:              r.Timeout.D(),
		}, log.Named("git").With(zap.String("repo", r.Name)))
		if err != nil {
			d.store.Close()
			return nil, fmt.Errorf("repositories[%d] (%s): %w", i, r.Name, err)
		}
		d.repos = append(d.repos, &promotion.Repo{Name: r.Name, Branch: r.Branch, PipelineFile: r.PipelineFile, Git: g})
		p, err := newProvider(r.Provider)
		if err != nil {
			d.store.Close()
			return nil, fmt.Errorf("repositories[%d] (%s).provider: %w", i, r.Name, err)
		}
		if p != nil {
			if d.providers == nil {
				d.providers = map[string]promotion.Provider{}
			}
			d.providers[r.Name] = p
		}
	}
	return &d, nil
}

// newProvider makes the Git host's pull-request provider; nil means the
// built-in one.
func newProvider(c config.Provider) (promotion.Provider, error) {
	switch c.Kind {
	case config.ProviderGitHub:
		return github.New(c)
	case config.ProviderGitLab:
		return gitlab.New(c)
	case config.ProviderGitea:
		return gitea.New(c)
	}
	return nil, nil
}

func newLogger(c config.Log) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	zc := zap.NewProductionConfig()
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	return zc.Build()
}
