package gitrepo

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// CommitInfo describes one commit of a branch's history.
type CommitInfo struct {
	SHA     string
	Message string    // read with internal/commitmsg, its one owner
	When    time.Time // committer time
}

func (s *snapshot) Walk(max int, fn func(c CommitInfo) bool) error {
	if s.head.IsZero() || max <= 0 {
		return nil
	}
	seen := map[plumbing.Hash]bool{}
	q := &byCommitTime{}
	push := func(h plumbing.Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		c, err := object.GetCommit(s.c.st, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil // beyond the shallow boundary
		}
		if err != nil {
			return fmt.Errorf("reading commit %s: %w", h, err)
		}
		heap.Push(q, queued{c, len(seen)})
		return nil
	}

	s.c.mu.RLock()
	err := push(s.head)
	s.c.mu.RUnlock()
	for n := 0; err == nil && n < max && q.Len() > 0; n++ {
		c := heap.Pop(q).(queued).c
		// fn may read the snapshot: the lock is not held while it runs.
		if !fn(CommitInfo{SHA: c.Hash.String(), Message: c.Message, When: c.Committer.When}) {
			return nil
		}
		s.c.mu.RLock()
		for _, p := range c.ParentHashes {
			if err = push(p); err != nil {
				break
			}
		}
		s.c.mu.RUnlock()
	}
	return err
}

type queued struct {
	c   *object.Commit
	seq int // ties in time go in discovery order, children before parents
}

// byCommitTime is a heap giving the newest commit first, as git log does.
type byCommitTime []queued

func (h byCommitTime) Len() int { return len(h) }
func (h byCommitTime) Less(i, j int) bool {
	ti, tj := h[i].c.Committer.When, h[j].c.Committer.When
	if ti.Equal(tj) {
		return h[i].seq < h[j].seq
	}
	return ti.After(tj)
}
func (h byCommitTime) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *byCommitTime) Push(x any)   { *h = append(*h, x.(queued)) }
func (h *byCommitTime) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
