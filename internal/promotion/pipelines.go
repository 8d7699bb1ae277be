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
	// vet refuses a parsed pipeline the engine cannot run (a health gate
	// where the provider reads no statuses); nil: none.
	vet func(repo string, p *config.Pipeline) error

	mu       sync.Mutex
	loaded   map[string]loadedPipeline // by repo name
	loadErr  map[string]loadFailure    // by repo name: the newest pipeline did not load
	lastLoad time.Time
	// failures counts loads that failed, for the metric.
	failures uint64
	// changed are the repositories whose pipeline changed since the
	// engine last took them (takeChanged), with the head that changed it.
	changed map[string]string
}

type loadedPipeline struct {
	pipeline *config.Pipeline
	head     string // the newest branch head read whose pipeline file is this one
	blob     string // the pipeline file's blob id: the same blob is not parsed again
}

// loadFailure is why a repository's newest pipeline did not load.
type loadFailure struct {
	err  error
	head string // the branch head read, when the branch could be read
	blob string // the pipeline file's blob id, when it could be found
}

// maxPipelineBytes caps the pipeline file as manifest caps target files:
// a larger one is refused unread, and the last good pipeline stays.
const maxPipelineBytes = 1 << 20

// appRef is an application and everything needed to write it.
type appRef struct {
	repo     *Repo
	pipeline *config.Pipeline
	app      *config.Application
}

func newCatalog(repos []*Repo, log *zap.Logger, refresh time.Duration, now func() time.Time) *catalog {
	return &catalog{repos: repos, log: log, refresh: refresh, now: now,
		loaded: map[string]loadedPipeline{}, loadErr: map[string]loadFailure{}, changed: map[string]string{}}
}

// load re-reads every repository's pipeline from its branch head. A
// pipeline that does not load leaves the last good one in use, and says so
// (statuses, and the log). A pipeline file whose blob has not changed since
// the last load is not parsed again: refreshes are cheap while the branch
// moves with promotions.
func (c *catalog) load(ctx context.Context) {
	for _, r := range c.repos {
		c.mu.Lock()
		prev, failed := c.loaded[r.Name], c.loadErr[r.Name]
		c.mu.Unlock()
		rd, fresh := readPipeline(ctx, r, prev, failed)
		if fresh && rd.err == nil && c.vet != nil {
			if err := c.vet(r.Name, rd.pipeline); err != nil {
				rd.pipeline, rd.err = nil, pipelineError(r.PipelineFile, err)
			}
		}
		c.mu.Lock()
		if rd.err != nil {
			c.loadErr[r.Name] = loadFailure{err: rd.err, head: rd.head, blob: rd.blob}
			if fresh {
				c.failures++
				c.log.Warn("loading pipeline", zap.String("repo", r.Name), zap.String("head", rd.head), zap.Error(rd.err))
			}
		} else {
			delete(c.loadErr, r.Name)
			if fresh {
				c.log.Info("pipeline loaded", zap.String("repo", r.Name), zap.String("head", rd.head),
					zap.Int("applications", len(rd.pipeline.Applications)), zap.Int("environments", len(rd.pipeline.Environments)))
			}
			if fresh && prev.pipeline != nil && prev.blob != rd.blob {
				c.changed[r.Name] = rd.head
			}
			c.loaded[r.Name] = loadedPipeline{pipeline: rd.pipeline, head: rd.head, blob: rd.blob}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.lastLoad = c.now()
	c.mu.Unlock()
}

// pipelineRead is what one read of a repository's pipeline found: the
// pipeline, or why there is none, and the head and blob it read (each
// empty when the read did not get that far).
type pipelineRead struct {
	pipeline   *config.Pipeline
	head, blob string
	err        error
}

// readPipeline reads r's pipeline file at its branch head and parses it,
// unless its blob is prev's (prev's pipeline is returned) or failed's
// (failed's error is returned); fresh says it was read anew.
func readPipeline(ctx context.Context, r *Repo, prev loadedPipeline, failed loadFailure) (rd pipelineRead, fresh bool) {
	snap, err := r.Git.Read(ctx, r.Branch)
	if err != nil {
		return pipelineRead{err: fmt.Errorf("reading branch %s: %w", r.Branch, err)}, true
	}
	rd.head = snap.Head()
	if rd.head == "" {
		rd.err = fmt.Errorf("branch %s does not exist", r.Branch)
		return rd, true
	}
	st, err := snap.Stat(r.PipelineFile)
	if errors.Is(err, fs.ErrNotExist) {
		rd.err = fmt.Errorf("%s not found on branch %s", r.PipelineFile, r.Branch)
		return rd, true
	}
	if err != nil {
		rd.err = fmt.Errorf("reading %s: %w", r.PipelineFile, err)
		return rd, true
	}
	rd.blob = st.Blob
	switch {
	case prev.pipeline != nil && prev.blob == st.Blob:
		rd.pipeline = prev.pipeline
		return rd, false
	case failed.err != nil && failed.blob == st.Blob:
		rd.err = failed.err
		return rd, false
	case st.Size > maxPipelineBytes:
		rd.err = fmt.Errorf("%s: file is %d bytes, over the limit of %d bytes (1 MiB)", r.PipelineFile, st.Size, maxPipelineBytes)
		return rd, true
	}
	b, err := snap.ReadFile(r.PipelineFile)
	if err != nil {
		rd.err = fmt.Errorf("reading %s: %w", r.PipelineFile, err)
		return rd, true
	}
	if rd.pipeline, err = config.ParsePipeline(b, r.Branch); err != nil {
		rd.err = pipelineError(r.PipelineFile, err)
	} else if err := readSigningKeys(snap, rd.pipeline); err != nil {
		rd.pipeline, rd.err = nil, pipelineError(r.PipelineFile, err)
	}
	return rd, true
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
			if f, ok := c.loadErr[r.Name]; ok {
				return fmt.Errorf("repository %s: %w", r.Name, f.err)
			}
			return fmt.Errorf("repository %s: pipeline not loaded yet", r.Name)
		}
	}
	return nil
}
