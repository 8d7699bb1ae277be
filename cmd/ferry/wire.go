package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sigstore/sigstore-go/pkg/root"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry"
	"github.com/ferryhq/ferry/internal/render"
	"github.com/ferryhq/ferry/internal/scm/azuredevops"
	"github.com/ferryhq/ferry/internal/scm/bitbucket"
	"github.com/ferryhq/ferry/internal/scm/bitbucketdc"
	"github.com/ferryhq/ferry/internal/scm/gitea"
	"github.com/ferryhq/ferry/internal/scm/github"
	"github.com/ferryhq/ferry/internal/scm/gitlab"
	"github.com/ferryhq/ferry/internal/scm/outbound"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/internal/store/sqlite"
	"github.com/ferryhq/ferry/internal/supplychain"
	"github.com/ferryhq/ferry/internal/telemetry"
)

// serverStore is what serve needs of a store.
type serverStore interface {
	promotion.Store
	store.IdempotencyStore
	store.PullRequestStore
	store.Outbox
	store.StatusStore
	Ping(ctx context.Context) error
}

type deps struct {
	store     serverStore
	registry  *registry.Verifier
	repos     []*promotion.Repo
	providers map[string]promotion.Provider
	render    promotion.RenderVerifier
	// supplyChain verifies signatures and provenance for gated environments.
	supplyChain *supplychain.Verifier
}

// renderVerifier gives the engine render.Verifier over its snapshots.
type renderVerifier struct{ v *render.Verifier }

func (r renderVerifier) VerifyRender(s gitrepo.Snapshot, edits map[string][]byte, app *config.Application, t config.Target, edited []byte, img manifest.Image) error {
	_, err := r.v.Verify(s, edits, app, t, edited, img)
	return err
}

// build makes the adapters named by the config; rec, when not nil, is
// told of their Git, registry and Git host calls.
func build(ctx context.Context, cfg *config.Server, log *zap.Logger, rec *telemetry.Recorder) (*deps, error) {
	d := deps{render: renderVerifier{render.New()}}
	var err error
	var (
		gitObs   gitrepo.Observer
		hostOpts []outbound.Option
		regTrans http.RoundTripper
	)
	if rec != nil {
		gitObs, hostOpts, regTrans = rec, []outbound.Option{outbound.WithObserver(rec)}, rec.RegistryTransport(nil)
	}
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
	d.registry, err = registry.New(registry.Config{Hosts: hosts, Timeout: cfg.Limits.RegistryTimeout.D(), Transport: regTrans})
	if err != nil {
		d.store.Close()
		return nil, fmt.Errorf("registries: %w", err)
	}
	if d.supplyChain, err = supplyChain(cfg, d.registry); err != nil {
		d.store.Close()
		return nil, err
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
			Observer:             gitObs,
		}, log.Named("git").With(zap.String("repo", r.Name)))
		if err != nil {
			d.store.Close()
			return nil, fmt.Errorf("repositories[%d] (%s): %w", i, r.Name, err)
		}
		d.repos = append(d.repos, &promotion.Repo{Name: r.Name, Branch: r.Branch, PipelineFile: r.PipelineFile, Git: g})
		p, err := newProvider(r.Provider, hostOpts...)
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
func newProvider(c config.Provider, opts ...outbound.Option) (promotion.Provider, error) {
	switch c.Kind {
	case config.ProviderGitHub:
		return github.New(c, opts...)
	case config.ProviderGitLab:
		return gitlab.New(c, opts...)
	case config.ProviderGitea:
		return gitea.New(c, opts...)
	case config.ProviderBitbucket:
		return bitbucket.New(c, opts...)
	case config.ProviderBitbucketDC:
		return bitbucketdc.New(c, opts...)
	case config.ProviderAzureDevOps:
		return azuredevops.New(c, opts...)
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

// supplyChain builds the signature verifier: keyless signatures verify
// only against the configured trusted root, which is read once, here.
func supplyChain(cfg *config.Server, reg *registry.Verifier) (*supplychain.Verifier, error) {
	var trusted root.TrustedMaterial
	if cfg.TrustedRoot != "" {
		tr, err := supplychain.LoadTrustedRoot(cfg.TrustedRoot)
		if err != nil {
			return nil, fmt.Errorf("trustedRoot: %w", err)
		}
		trusted = tr
	}
	v, err := supplychain.New(reg, trusted, nil)
	if err != nil {
		return nil, fmt.Errorf("trustedRoot: %w", err)
	}
	return v, nil
}
