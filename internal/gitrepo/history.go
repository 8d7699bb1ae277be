package gitrepo

import (
	"time"

	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// historyFirstDepth is the depth of History's first fetch; each later fetch
// deepens four times as far.
const historyFirstDepth = 32

// History visits up to max commits of branch on the remote, from its head
// backwards, newest first, as Snapshot.Walk does, but beyond the writer's
// shallow boundary: it fetches into a storage of its own, deepening the
// fetch as the walk goes, and forgets it when done. fn returns false to
// stop; it is called once per commit. A branch that does not exist has no
// commits.
//
// It costs a fetch or more per call, so it is for the rare look further
// back (work that may have been pushed before a restart), not for every
// commit. It does not wait for Read or Commit, and may be called from a
// build function.
func (r *Repo) History(ctx context.Context, branch string, max int, fn func(c CommitInfo) bool) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	if max <= 0 {
		return nil
	}
	c, err := newClone(r.cfg.URL)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	stopped := false
	visit := func(ci CommitInfo) bool {
		if seen[ci.SHA] {
			return true // visited in a shallower round
		}
		seen[ci.SHA] = true
		if !fn(ci) {
			stopped = true
			return false
		}
		return true
	}
	for depth := min(historyFirstDepth, max); ; depth = min(depth*4, max) {
		head, err := r.fetchDepth(ctx, c, branch, depth)
		if err != nil || head.IsZero() {
			return err
		}
		s := &snapshot{c: c, branch: branch, head: head}
		n := 0
		if err := s.Walk(max, func(ci CommitInfo) bool { n++; return visit(ci) }); err != nil {
			return fmt.Errorf("walking history of %q: %w", branch, err)
		}
		if stopped || n >= max || depth >= max {
			return nil
		}
		shallow, err := c.st.Shallow()
		if err != nil {
			return fmt.Errorf("reading shallow commits: %w", err)
		}
		if len(shallow) == 0 {
			return nil // the whole history is here
		}
	}
}

// fetchDepth fetches branch into c with the given depth, deepening what c
// already holds, and returns its head (zero when the branch does not exist).
func (r *Repo) fetchDepth(ctx context.Context, c *clone, branch string, depth int) (_ plumbing.Hash, err error) {
	defer r.observe("fetch", time.Now(), &err)
	tracking := plumbing.NewRemoteReferenceName(remoteName, branch)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	err = c.remote.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + plumbing.NewBranchReferenceName(branch) + ":" + tracking)},
		Auth:       r.auth,
		Tags:       gogit.NoTags,
		Depth:      depth,
	})
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
	case errors.Is(err, gogit.NoMatchingRefSpecError{}), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return plumbing.ZeroHash, nil
	default:
		return plumbing.ZeroHash, r.scrub.networkError(err, fmt.Sprintf("fetching history of branch %q from %s", branch, r.url))
	}
	ref, err := c.st.Reference(tracking)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading fetched branch %q: %w", branch, err)
	}
	return ref.Hash(), nil
}
