package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// OwnBranchPrefix starts the names of branches Ferry owns (pull-request
// branches). Only those may be deleted.
const OwnBranchPrefix = "ferry/"

// DeleteBranch deletes one of Ferry's own branches on the remote, so that a
// new pull request starts from its base instead of an old, merged or closed
// one. Deleting a branch that does not exist is not an error.
func (r *Repo) DeleteBranch(ctx context.Context, branch string) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	if !strings.HasPrefix(branch, OwnBranchPrefix) {
		return fmt.Errorf("refusing to delete branch %q: Ferry deletes only branches under %s", branch, OwnBranchPrefix)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.current()
	if err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	c.mu.RLock()
	err = c.remote.PushContext(ctx, &gogit.PushOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec(":" + ref)},
		Auth:       r.auth,
	})
	c.mu.RUnlock()
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return r.scrub.networkError(err, fmt.Sprintf("deleting branch %q in %s", branch, r.url))
	}
	delete(c.fetched, branch)
	return nil
}
