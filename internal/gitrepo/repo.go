package gitrepo

import (
	"context"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"go.uber.org/zap"
)

// Repo is one environment repository. It is safe for concurrent use:
// operations on one Repo run one at a time.
type Repo struct {
	cfg    Config
	url    string // for logs and errors: never carries credentials
	auth   transport.AuthMethod
	signer *signer
	scrub  scrubber
	log    *zap.Logger
	now    func() time.Time

	mu    sync.Mutex // serializes Read and Commit
	clone *clone     // nil until first use and after a re-clone
}

// Open checks cfg and returns a Repo. It does no network I/O: the first
// Read or Commit clones.
func Open(cfg Config, log *zap.Logger) (*Repo, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ep, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	auth, err := authMethod(ep, cfg.Auth)
	if err != nil {
		return nil, err
	}
	sg, err := newSigner(cfg.SigningKey, cfg.SigningKeyPassphrase)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	url := redactedURL(ep)
	if ep.Protocol == "file" {
		// For a bare path go-git's push walks every object of the remote's
		// history to find what to leave out (0.5 s at 500 commits); with a
		// file:// URL it only looks at the shallow clone.
		cfg.URL = "file://" + ep.Path
	}
	return &Repo{
		cfg:    cfg,
		url:    url,
		auth:   auth,
		signer: sg,
		scrub:  newScrubber(cfg.Auth),
		log:    log.With(zap.String("git_url", url)),
		now:    time.Now,
	}, nil
}

// Read fetches branch and returns a snapshot of its head. A branch that does
// not exist gives a snapshot whose Head is "".
func (r *Repo) Read(ctx context.Context, branch string) (Snapshot, error) {
	if err := checkBranch(branch); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.current()
	if err != nil {
		return nil, err
	}
	head, err := r.fetch(ctx, c, branch)
	if err != nil {
		return nil, err
	}
	return &snapshot{c: c, branch: branch, head: head}, nil
}

// current returns the clone in use, making a new one when needed.
// Callers hold r.mu.
func (r *Repo) current() (*clone, error) {
	if r.clone == nil {
		c, err := newClone(r.cfg.URL)
		if err != nil {
			return nil, err
		}
		r.clone = c
	}
	return r.clone, nil
}

// drop forgets the clone so that the next operation starts from a fresh
// one. Snapshots already handed out keep working.
func (r *Repo) drop(reason string) {
	if r.clone != nil {
		r.log.Debug("dropping in-memory clone", zap.String("reason", reason), zap.Int("commits", r.clone.commits))
	}
	r.clone = nil
}
