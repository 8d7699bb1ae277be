package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

const remoteName = "origin"

// clone is one shallow in-memory copy of the remote. Objects are only ever
// added, so a snapshot taken from a clone stays readable after the Repo has
// moved on to a new clone.
type clone struct {
	// mu guards the object maps of st: fetch and commit writing take it
	// exclusively, snapshot reads and push share it. References are touched
	// only under Repo.mu.
	mu     sync.RWMutex
	st     *memory.Storage
	remote *gogit.Remote
	// fetched holds the branches fetched at least once: their next fetch
	// goes without Depth, which is 30 times faster on a shallow clone.
	fetched map[string]bool
	commits int // commits pushed from this clone, for Config.RecloneAfter
}

func newClone(url string) (*clone, error) {
	st := memory.NewStorage()
	repo, err := gogit.Init(st, nil)
	if err != nil {
		return nil, fmt.Errorf("initializing in-memory repository: %w", err)
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{url},
		Fetch: []config.RefSpec{"+refs/heads/*:refs/remotes/" + remoteName + "/*"},
	})
	if err != nil {
		return nil, fmt.Errorf("configuring remote: %w", err)
	}
	return &clone{st: st, remote: remote, fetched: map[string]bool{}}, nil
}

// fetch brings branch up to date and returns its head, or the zero hash when
// the remote has no such branch.
func (r *Repo) fetch(ctx context.Context, c *clone, branch string) (_ plumbing.Hash, err error) {
	defer r.observe("fetch", time.Now(), &err)
	tracking := plumbing.NewRemoteReferenceName(remoteName, branch)
	opts := &gogit.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + plumbing.NewBranchReferenceName(branch) + ":" + tracking)},
		Auth:       r.auth,
		Tags:       gogit.NoTags,
	}
	if !c.fetched[branch] {
		opts.Depth = 1
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	err = c.remote.FetchContext(ctx, opts)
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
	case errors.Is(err, gogit.NoMatchingRefSpecError{}), errors.Is(err, transport.ErrEmptyRemoteRepository):
		delete(c.fetched, branch)
		if err := c.st.RemoveReference(tracking); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("forgetting deleted branch %q: %w", branch, err)
		}
		return plumbing.ZeroHash, nil
	default:
		return plumbing.ZeroHash, r.scrub.networkError(err, fmt.Sprintf("fetching branch %q from %s", branch, r.url))
	}
	c.fetched[branch] = true
	ref, err := c.st.Reference(tracking)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading fetched branch %q: %w", branch, err)
	}
	return ref.Hash(), nil
}

// catchUp makes c hold branch at head, the remote's head as advertised,
// and returns the head to build on. It fetches only when c does not hold
// head yet: after Ferry's own push it does, so a writer that is alone on a
// branch never fetches. The fetch may find the branch moved further; its
// head is returned then.
func (r *Repo) catchUp(ctx context.Context, c *clone, branch string, head plumbing.Hash) (plumbing.Hash, error) {
	tracking := plumbing.NewRemoteReferenceName(remoteName, branch)
	if head.IsZero() {
		delete(c.fetched, branch)
		if err := c.st.RemoveReference(tracking); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("forgetting deleted branch %q: %w", branch, err)
		}
		return plumbing.ZeroHash, nil
	}
	if ref, err := c.st.Reference(tracking); err == nil && ref.Hash() == head && c.fetched[branch] {
		return head, nil
	}
	return r.fetch(ctx, c, branch)
}
