package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Change is what a build function returns: the files to write (created, or
// modified keeping their mode) and the commit message, written as given.
type Change struct {
	Message string
	Files   map[string][]byte
}

// Result says what Commit did.
type Result struct {
	// SHA is the pushed commit, or the branch head when nothing changed.
	SHA string
	// Changed is false when there was nothing to commit.
	Changed bool
	// Attempts is how many times build was called.
	Attempts int
	// Head is a snapshot of the branch after the commit.
	Head Snapshot
}

// CommitOption changes how Commit works.
type CommitOption func(*commitOptions)

type commitOptions struct {
	base        string
	mergeParent string
}

// MergeParent makes the commit a merge: the head of branch becomes its
// second parent (the tree is still the first parent's plus the change).
// The built-in pull-request provider merges a PR branch this way, which
// never rewrites history.
func MergeParent(branch string) CommitOption {
	return func(o *commitOptions) { o.mergeParent = branch }
}

// FromBranch starts the branch from base's head when it does not exist on
// the remote yet (a pull-request branch). By default Commit refuses to
// create a branch.
func FromBranch(base string) CommitOption {
	return func(o *commitOptions) { o.base = base }
}

// Commit fetches branch, calls build with a snapshot of its head, and
// commits and pushes the files build returns. Nothing is committed when the
// files are byte-identical to the head (Result.Changed is false). When
// another writer pushed first, Commit fetches the new head and calls build
// again, up to Config.MaxAttempts times, then gives up with an error
// wrapping ErrConflict. It never force-pushes. An error from build aborts
// Commit and is returned as is.
func (r *Repo) Commit(ctx context.Context, branch string, build func(s Snapshot) (Change, error), opts ...CommitOption) (Result, error) {
	var o commitOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkBranch(branch); err != nil {
		return Result{}, err
	}
	if o.base != "" {
		if err := checkBranch(o.base); err != nil {
			return Result{}, err
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.current()
	if err != nil {
		return Result{}, err
	}

	pushing := fmt.Sprintf("pushing branch %q to %s", branch, r.url)
	var (
		lastErr  error         // why the previous push failed
		lastSeen plumbing.Hash // the remote branch when that push was tried
		pushed   plumbing.Hash // the commit that push tried to send
	)
	for attempt := 1; ; attempt++ {
		res, done, err := r.attempt(ctx, c, branch, build, o, attempt, &lastErr, &lastSeen, &pushed)
		if done || err != nil {
			if err != nil && isNetworkFailure(err) {
				r.drop("push failed")
				return Result{}, r.scrub.networkError(err, pushing)
			}
			return res, err
		}
	}
}

// attempt is one round of Commit: read the remote's refs, catch up when the
// branch moved, build, write and push. done is false when the push was
// refused and Commit should try again; *lastErr, *lastSeen and *pushed
// carry what that push was from one round to the next.
func (r *Repo) attempt(ctx context.Context, c *clone, branch string, build func(s Snapshot) (Change, error), o commitOptions,
	attempt int, lastErr *error, lastSeen, pushed *plumbing.Hash) (res Result, done bool, err error) {
	p, err := r.openPush(ctx)
	if err != nil {
		return Result{}, true, networkFailure{err}
	}
	defer p.close()
	remoteHead := p.head(branch)
	if *lastErr != nil {
		switch remoteHead {
		case *pushed:
			// The push landed although its answer was lost.
			return r.pushed(c, branch, *pushed, attempt-1), true, nil
		case *lastSeen:
			// Nobody else moved the branch: the push failed for its own reason.
			return Result{}, true, networkFailure{*lastErr}
		}
		if attempt > r.cfg.MaxAttempts {
			return Result{}, true, conflictError(branch, attempt-1, *lastErr)
		}
		r.log.Info("branch moved under the commit, retrying",
			zap.String("branch", branch), zap.Int("attempt", attempt), zap.Stringer("head", remoteHead))
	}
	if remoteHead, err = r.catchUp(ctx, c, branch, remoteHead); err != nil {
		return Result{}, true, err
	}

	parent := remoteHead
	if parent.IsZero() {
		if o.base == "" {
			return Result{}, true, derrors.New(derrors.NotFound, "git_branch_not_found",
				"branch %q does not exist in %s", branch, r.url)
		}
		if parent, err = r.catchUp(ctx, c, o.base, p.head(o.base)); err != nil {
			return Result{}, true, err
		}
		if parent.IsZero() {
			return Result{}, true, derrors.New(derrors.NotFound, "git_branch_not_found",
				"neither branch %q nor its base %q exists in %s", branch, o.base, r.url)
		}
	}

	var extra []plumbing.Hash
	if o.mergeParent != "" {
		mh, err := r.catchUp(ctx, c, o.mergeParent, p.head(o.mergeParent))
		if err != nil {
			return Result{}, true, err
		}
		if mh.IsZero() {
			return Result{}, true, derrors.New(derrors.NotFound, "git_branch_not_found",
				"branch %q to merge does not exist in %s", o.mergeParent, r.url)
		}
		extra = append(extra, mh)
	}
	snap := &snapshot{c: c, branch: branch, head: parent}
	change, err := build(snap)
	if err != nil {
		return Result{}, true, err
	}
	commit, made, err := r.write(c, parent, change, extra...)
	if err != nil {
		return Result{}, true, fmt.Errorf("committing to %q: %w", branch, err)
	}
	if commit.IsZero() {
		// Nothing to change; a branch that does not exist stays so.
		return Result{SHA: parent.String(), Attempts: attempt, Head: snap}, true, nil
	}

	err = r.sendPack(ctx, c, p, branch, remoteHead, commit, made)
	if err == nil {
		return r.pushed(c, branch, commit, attempt), true, nil
	}
	if isAuthError(err) || ctx.Err() != nil {
		return Result{}, true, networkFailure{err}
	}
	// Left unclassified: only the next advertisement can tell a lost race
	// from a failure.
	r.log.Debug("push refused", zap.String("branch", branch), zap.Error(err))
	*lastErr, *lastSeen, *pushed = err, remoteHead, commit
	return Result{}, false, nil
}

// networkFailure marks an error from talking to the remote that Commit
// reports as ErrAuth or ErrUnavailable, dropping the clone.
type networkFailure struct{ err error }

func (e networkFailure) Error() string { return e.err.Error() }
func (e networkFailure) Unwrap() error { return e.err }

func isNetworkFailure(err error) bool {
	var nf networkFailure
	return errors.As(err, &nf)
}

// pushed records a landed commit and returns its Result. Callers hold r.mu.
func (r *Repo) pushed(c *clone, branch string, commit plumbing.Hash, attempts int) Result {
	c.fetched[branch] = true // we hold its history now: fetch it without Depth
	// The remote now holds commit: the next Commit finds the clone current
	// and does not fetch. A failure here only costs that fetch.
	tracking := plumbing.NewRemoteReferenceName(remoteName, branch)
	if err := c.st.SetReference(plumbing.NewHashReference(tracking, commit)); err != nil {
		delete(c.fetched, branch)
	}
	c.commits++
	r.log.Info("pushed commit", zap.String("branch", branch), zap.Stringer("commit", commit), zap.Int("attempts", attempts))
	if c.commits >= r.cfg.RecloneAfter {
		r.drop("reclone after commits")
	}
	return Result{
		SHA:      commit.String(),
		Changed:  true,
		Attempts: attempts,
		Head:     &snapshot{c: c, branch: branch, head: commit},
	}
}

// write stores the commit of change on top of parent and returns its hash
// and every object it stored (what a push has to send), or the zero hash
// when change leaves the tree as it is.
func (r *Repo) write(c *clone, parent plumbing.Hash, change Change, extraParents ...plumbing.Hash) (plumbing.Hash, []plumbing.Hash, error) {
	if len(change.Files) == 0 {
		return plumbing.ZeroHash, nil, nil
	}
	if strings.TrimSpace(change.Message) == "" {
		return plumbing.ZeroHash, nil, errors.New("empty commit message")
	}
	edit, err := newDirEdit(change.Files)
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	pc, err := object.GetCommit(c.st, parent)
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("reading parent %s: %w", parent, err)
	}
	rec := &recorder{EncodedObjectStorer: c.st}
	tree, err := writeTree(rec, pc.TreeHash, "", edit)
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	if tree == pc.TreeHash {
		return plumbing.ZeroHash, nil, nil
	}
	sig := object.Signature{Name: r.cfg.Author.Name, Email: r.cfg.Author.Email, When: r.now()}
	commit := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      change.Message,
		TreeHash:     tree,
		ParentHashes: append([]plumbing.Hash{parent}, extraParents...),
	}
	if r.signer != nil {
		if err := r.signer.sign(commit); err != nil {
			return plumbing.ZeroHash, nil, err
		}
	}
	obj := c.st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("encoding commit: %w", err)
	}
	h, err := rec.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("storing commit: %w", err)
	}
	return h, rec.made, nil
}
