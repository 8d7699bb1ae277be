package promotion

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/registry"
)

// Config tunes the engine.
type Config struct {
	// Owner names this worker in leases; unique per process.
	Owner string
	// BatchWindow is how long the worker gathers work before committing.
	BatchWindow time.Duration
	// PollInterval is how often the worker looks for due work unprompted.
	PollInterval time.Duration
	// Lease is how long claimed work stays with this worker.
	Lease time.Duration
	// MaxBatch bounds the promotions claimed at once.
	MaxBatch int
	// RetryMax caps the backoff between retries.
	RetryMax time.Duration
	// PipelineRefresh is how often each repo's ferry.yaml is re-read.
	PipelineRefresh time.Duration
	// ReconcileInterval is how often an open pull request is looked at on
	// its host when no webhook says it changed. Default 1m.
	ReconcileInterval time.Duration
	// ShutdownGrace is how long work in hand may go on once Run's context
	// ends; then it is stopped and handed back. Default 10s.
	ShutdownGrace time.Duration
}

// Repo is an environment repository the engine writes to.
type Repo struct {
	Name         string
	Branch       string // holds the pipeline file
	PipelineFile string
	Git          *gitrepo.Repo
}

// Deps are what the engine works with.
type Deps struct {
	Store    Store
	Registry *registry.Verifier
	Repos    []*Repo
	// Providers are the pull-request providers by repository name; a
	// repository without one uses the built-in provider.
	Providers map[string]Provider
	Log       *zap.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Provider is a Git host's pull requests and webhooks.
type Provider interface {
	PullRequests
	Webhooks
}

// Engine records releases and drives promotions.
type Engine struct {
	cfg   Config
	store Store
	reg   *registry.Verifier
	repos []*Repo
	log   *zap.Logger

	providers map[string]PullRequests
	webhooks  map[string]Webhooks
	now       func() time.Time

	catalog *catalog
	kick    chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when a promotion changes
}

// New returns an engine. Call Run to start its worker.
func New(cfg Config, d Deps) *Engine {
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 100
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Minute
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = time.Minute
	}
	if cfg.PipelineRefresh <= 0 {
		cfg.PipelineRefresh = 30 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.Owner == "" {
		cfg.Owner = newID("wrk")
	}
	e := &Engine{
		cfg:     cfg,
		store:   d.Store,
		reg:     d.Registry,
		repos:   d.Repos,
		log:     d.Log,
		now:     d.Now,
		kick:    make(chan struct{}, 1),
		changed: make(chan struct{}),
	}
	e.providers, e.webhooks = map[string]PullRequests{}, map[string]Webhooks{}
	for name, p := range d.Providers {
		e.providers[name], e.webhooks[name] = p, p
	}
	e.catalog = newCatalog(d.Repos, d.Log, cfg.PipelineRefresh, d.Now)
	return e
}

// Kick wakes the worker: there is new work.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// broadcast tells waiters that some promotion changed.
func (e *Engine) broadcast() {
	e.mu.Lock()
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

func (e *Engine) changes() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

// Ready reports whether every repository's pipeline has been loaded.
func (e *Engine) Ready(ctx context.Context) error {
	return e.catalog.ready(ctx)
}
