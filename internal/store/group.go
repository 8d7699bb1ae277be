package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// groupMax is the most writes one group transaction carries: enough to
// take a burst of reports in a few commits, few enough that one
// transaction holds the writer briefly.
const groupMax = 256

// groupTimeout bounds one group transaction. The callers' own contexts end
// their wait, not the transaction, which serves them all.
const groupTimeout = 30 * time.Second

// Group commits concurrent writes together: callers queue their write, one
// of them (the leader) runs every queued write in one transaction, each in
// a savepoint of its own, and commits once, so a burst of writes costs one
// fsync instead of one each. Every caller is answered only after that
// commit: a write reported done is durable, as with one transaction each.
//
// A write whose fn fails is rolled back to its savepoint and answered with
// its error; the others commit. When the transaction itself fails (begin or
// commit, a deadlock between replicas' groups), each write is run again
// alone, so one write cannot fail the others.
type Group struct {
	write WriteFunc

	mu      sync.Mutex
	queue   []*groupWrite
	leading bool
}

type groupWrite struct {
	ctx  context.Context
	fn   func(tx Conn) error
	err  error
	done chan struct{}
}

// NewGroup returns a Group running its transactions with write.
func NewGroup(write WriteFunc) *Group { return &Group{write: write} }

// Write runs fn in a transaction shared with concurrent callers and returns
// once that transaction is committed (nil) or fn's write was abandoned (its
// error). fn must not commit or roll back, and may run more than once when
// a group transaction fails.
func (g *Group) Write(ctx context.Context, fn func(tx Conn) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		g.lead(w)
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		// Its write may still commit: the caller was not told it did, and a
		// report sent again finds the stored release.
		return ctxErr(ctx)
	}
}

// lead runs queued writes, a group at a time, until the queue is empty. A
// caller leads until its own write (mine; nil for none) is done, then hands
// the rest to a goroutine, so that no caller waits on a stream of others.
func (g *Group) lead(mine *groupWrite) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), groupMax)
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		if mine != nil && mine.finished() {
			g.mu.Unlock()
			go g.lead(nil)
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.run(batch)
	}
}

// run commits batch in one transaction, or, if that fails, each write alone.
func (g *Group) run(batch []*groupWrite) {
	live := batch[:0:0]
	for _, w := range batch {
		if w.ctx.Err() != nil {
			w.finish(ctxErr(w.ctx)) // gone before it was written: nothing to do
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		w := live[0]
		w.finish(g.write(w.ctx, w.fn))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(live[0].ctx), groupTimeout)
	defer cancel()
	errs := make([]error, len(live))
	err := g.write(ctx, func(tx Conn) error {
		for i, w := range live {
			errs[i] = savepoint(ctx, tx, w.fn)
		}
		return nil
	})
	if err != nil {
		for _, w := range live {
			w.finish(g.write(w.ctx, w.fn))
		}
		return
	}
	for i, w := range live {
		w.finish(errs[i])
	}
}

func (w *groupWrite) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *groupWrite) finish(err error) {
	w.err = err
	close(w.done)
}

// savepoint runs fn inside a savepoint of tx, rolling back only fn's
// writes when it fails. SQLite and PostgreSQL spell savepoints alike.
func savepoint(ctx context.Context, tx Conn, fn func(tx Conn) error) error {
	if _, err := tx.Exec(ctx, "SAVEPOINT ferry_group"); err != nil {
		return fmt.Errorf("opening savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ferry_group"); rerr != nil {
			return fmt.Errorf("%w (and rolling back to its savepoint: %v)", err, rerr)
		}
		_, _ = tx.Exec(ctx, "RELEASE SAVEPOINT ferry_group")
		return err
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT ferry_group"); err != nil {
		return fmt.Errorf("releasing savepoint: %w", err)
	}
	return nil
}

// ctxErr is the error of a caller whose ctx ended while its write waited:
// a deadline is the store being too slow (store_unavailable, as the drivers
// classify it), a cancellation the caller's own.
func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Unavailable(ctx.Err())
	}
	return ctx.Err()
}
