package promotion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// catalog caches each repository's pipeline (ferry.yaml) and knows which
// repository holds which application.
type catalog struct {
	repos   []*Repo
	log     *zap.Logger
	refresh time.Duration
	now     func() time.Time

	mu       sync.Mutex
	loaded   map[string]loadedPipeline // by repo name
	loadErr  map[string]error
	lastLoad time.Time
}

type loadedPipeline struct {
	pipeline *config.Pipeline
	head     string
}

// appRef is an application and everything needed to write it.
type appRef struct {
	repo     *Repo
	pipeline *config.Pipeline
	app      *config.Application
}

func newCatalog(repos []*Repo, log *zap.Logger, refresh time.Duration, now func() time.Time) *catalog {
	return &catalog{repos: repos, log: log, refresh: refresh, now: now,
		loaded: map[string]loadedPipeline{}, loadErr: map[string]error{}}
}

// load re-reads every repository's pipeline from its branch head.
func (c *catalog) load(ctx context.Context) {
	for _, r := range c.repos {
		p, head, err := readPipeline(ctx, r)
		c.mu.Lock()
		if err != nil {
			c.loadErr[r.Name] = err
			c.log.Warn("loading pipeline", zap.String("repo", r.Name), zap.Error(err))
		} else {
			delete(c.loadErr, r.Name)
			if prev := c.loaded[r.Name]; prev.head != head {
				c.log.Info("pipeline loaded", zap.String("repo", r.Name), zap.String("head", head),
					zap.Int("applications", len(p.Applications)), zap.Int("environments", len(p.Environments)))
			}
			c.loaded[r.Name] = loadedPipeline{pipeline: p, head: head}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.lastLoad = c.now()
	c.mu.Unlock()
}

func readPipeline(ctx context.Context, r *Repo) (*config.Pipeline, string, error) {
	snap, err := r.Git.Read(ctx, r.Branch)
	if err != nil {
		return nil, "", fmt.Errorf("reading branch %s: %w", r.Branch, err)
	}
	if snap.Head() == "" {
		return nil, "", fmt.Errorf("branch %s does not exist", r.Branch)
	}
	b, err := snap.ReadFile(r.PipelineFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s not found on branch %s", r.PipelineFile, r.Branch)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", r.PipelineFile, err)
	}
	p, err := config.ParsePipeline(b, r.Branch)
	if err != nil {
		return nil, "", fmt.Errorf("%s at %.8s: %w", r.PipelineFile, snap.Head(), err)
	}
	return p, snap.Head(), nil
}

// stale reports whether the pipelines are older than the refresh interval.
func (c *catalog) stale() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Sub(c.lastLoad) >= c.refresh
}

// lookup finds an application. If it is unknown and the pipelines were not
// read in the last second, it re-reads them once, so a newly added
// application works at once.
func (c *catalog) lookup(ctx context.Context, name string) (appRef, error) {
	if ref, ok := c.find(name); ok {
		return ref, nil
	}
	c.mu.Lock()
	recent := c.now().Sub(c.lastLoad) < time.Second
	c.mu.Unlock()
	if !recent {
		c.load(ctx)
		if ref, ok := c.find(name); ok {
			return ref, nil
		}
	}
	return appRef{}, derrors.New(derrors.NotFound, "unknown_application",
		"application %q is not defined in any environment repository's pipeline", name)
}

func (c *catalog) find(name string) (appRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.repos { // in config order: the first repository wins
		lp, ok := c.loaded[r.Name]
		if !ok {
			continue
		}
		if a, ok := lp.pipeline.Application(name); ok {
			return appRef{repo: r, pipeline: lp.pipeline, app: a}, true
		}
	}
	return appRef{}, false
}

// all returns every application, in repository then pipeline order.
func (c *catalog) all() []appRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []appRef
	seen := map[string]bool{}
	for _, r := range c.repos {
		lp, ok := c.loaded[r.Name]
		if !ok {
			continue
		}
		for i := range lp.pipeline.Applications {
			a := &lp.pipeline.Applications[i]
			if !seen[a.Name] {
				seen[a.Name] = true
				out = append(out, appRef{repo: r, pipeline: lp.pipeline, app: a})
			}
		}
	}
	return out
}

// ready fails while some repository's pipeline has never loaded.
func (c *catalog) ready(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.repos {
		if _, ok := c.loaded[r.Name]; !ok {
			if err := c.loadErr[r.Name]; err != nil {
				return fmt.Errorf("repository %s: %w", r.Name, err)
			}
			return fmt.Errorf("repository %s: pipeline not loaded yet", r.Name)
		}
	}
	return nil
}
