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
	// Providers are the Git hosts' pull-request providers by repository
	// name.
	Providers map[string]Provider
	// Builtin returns the pull-request provider of a repository without one
	// in Providers (internal/scm/builtin); nil leaves such a repository
	// without pull requests.
	Builtin func(repo *Repo) PullRequests
	// SupplyChain verifies signatures and provenance for the environments
	// whose gates ask for them; nil refuses such environments.
	SupplyChain SupplyChain
	Log         *zap.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Render, when set, proves every edit by rendering its target.
	Render RenderVerifier
	// Deployments, when set, is told of every promotion that changes what
	// runs in an environment (the DORA lead-time histogram).
	Deployments DeploymentObserver
}

// Provider is a Git host's pull requests and webhooks.
type Provider interface {
	PullRequests
	Webhooks
}

// Engine records releases and drives promotions.
type Engine struct {
	cfg    Config
	store  Store
	reg    *registry.Verifier
	supply SupplyChain
	repos  []*Repo
	log    *zap.Logger
	// render proves edits by rendering; nil checks the edited file only.
	render RenderVerifier
	// deployments hears of each deployment; nil: nobody.
	deployments DeploymentObserver

	providers map[string]PullRequests
	// members caches what providers answer about team membership.
	members  memberCache
	webhooks map[string]Webhooks
	// admission are the gates a promotion passes before its Git work
	// starts; merging those an open pull request passes before Ferry
	// merges it. Each is evaluated in order (see decide).
	admission []Gate
	merging   []Gate
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
		cfg:    cfg,
		store:  d.Store,
		reg:    d.Registry,
		supply: d.SupplyChain,
		repos:  d.Repos,
		log:    d.Log,
		now:    d.Now,
		render: d.Render,

		deployments: d.Deployments,
		kick:        make(chan struct{}, 1),
		changed:     make(chan struct{}),

		// The supply-chain gate comes first after the pin: an image it
		// refuses fails at once instead of soaking first. The pin holds
		// before anything else, so that its reason is the one shown.
		admission: []Gate{supplyChainGate{sc: d.SupplyChain, log: d.Log}, soakGate{}, freezeGate{}},
		merging:   []Gate{approvalsGate{}},
	}
	e.providers, e.webhooks = map[string]PullRequests{}, map[string]Webhooks{}
	for name, p := range d.Providers {
		e.providers[name], e.webhooks[name] = p, p
	}
	for _, r := range d.Repos {
		if _, ok := e.providers[r.Name]; !ok && d.Builtin != nil {
			e.providers[r.Name] = d.Builtin(r)
		}
	}
	e.admission = append([]Gate{pinGate{pin: e.activePin}}, e.admission...)
	e.admission = append(e.admission, healthGate{arrival: e.arrivalIn, statuses: e.statusReader, poll: cfg.ReconcileInterval})
	e.catalog = newCatalog(d.Repos, d.Log, cfg.PipelineRefresh, d.Now)
	e.catalog.vet = e.vetHealth
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
