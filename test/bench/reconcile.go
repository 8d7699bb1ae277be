package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ferryhq/ferry/api"
)

// runReconcile is the reconcile scenario: reconcilePRs applications each
// with a promotion into stage waiting in an open pull request of the
// built-in provider (one approval required, none given). Ferry is stopped
// once all are open, left down until every pull request is due, and
// started again: the pass is the time from the first to the last pull
// request looked at again (their updated_at, written by each look), all
// of them due at once. No baseline: a script has nothing to reconcile.
func runReconcile(ctx context.Context, e *env) []result {
	const name = "reconcile"
	n, reconcileInterval := e.sc.reconcilePRs, e.sc.reconcileInterval
	dir, err := e.dir(name)
	if err != nil {
		return fail(name, err)
	}
	bare, err := genRepo(ctx, dir, e.reg, repoSpec{apps: n, files: 4*n + 1, commits: 1, stage: true})
	if err != nil {
		return fail(name, err)
	}
	builds := make([]build, n)
	for i := range builds {
		if builds[i], err = e.reg.tag(appName(i), "5.0.0"); err != nil {
			return fail(name, err)
		}
	}
	opts := ferryOpts{dir: dir, regHost: e.reg.host, bare: bare, batchWindow: time.Second,
		worker: fmt.Sprintf("  reconcileInterval: %s\n", reconcileInterval)}
	f, err := startFerry(ctx, e.bin, opts)
	if err != nil {
		return fail(name, err)
	}
	t0 := time.Now()
	queue := make(chan build, n)
	for _, b := range builds {
		queue <- b
	}
	close(queue)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range 8 {
		wg.Go(func() {
			for b := range queue {
				if _, _, err := f.report(ctx, b, 0); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		f.stop()
		return fail(name, firstErr)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		open, err := listState(ctx, f, "pr-open")
		if err != nil {
			f.stop()
			return fail(name, err)
		}
		if len(open) == n {
			break
		}
		if time.Now().After(deadline) {
			f.stop()
			return fail(name, fmt.Errorf("%d of %d pull requests open after 10 minutes", len(open), n))
		}
		time.Sleep(200 * time.Millisecond)
	}
	setup := time.Since(t0)
	f.stop()
	stopped := time.Now().UTC()
	before, err := commitCount(ctx, bare)
	if err != nil {
		return fail(name, err)
	}
	time.Sleep(reconcileInterval + time.Second) // every pull request is due

	started := time.Now().UTC()
	if f, err = startFerry(ctx, e.bin, opts); err != nil {
		return fail(name, err)
	}
	defer f.stop()
	var first, last time.Time
	deadline = time.Now().Add(5 * time.Minute)
	for {
		open, err := listState(ctx, f, "pr-open")
		if err != nil {
			return fail(name, err)
		}
		looked := 0
		first, last = time.Time{}, time.Time{}
		for _, p := range open {
			if p.UpdatedAt.After(stopped) {
				looked++
				if first.IsZero() || p.UpdatedAt.Before(first) {
					first = p.UpdatedAt
				}
				last = later(last, p.UpdatedAt)
			}
		}
		if len(open) != n {
			return fail(name, fmt.Errorf("%d pull requests open after the restart, want %d", len(open), n))
		}
		if looked == n {
			break
		}
		if time.Now().After(deadline) {
			return fail(name, fmt.Errorf("%d of %d pull requests looked at 5 minutes after the restart", looked, n))
		}
		time.Sleep(100 * time.Millisecond)
	}
	after, err := commitCount(ctx, bare)
	if err != nil {
		return fail(name, err)
	}
	pass := last.Sub(first)
	return []result{{
		scenario: name, lowerIsBetter: true,
		ferry:   figure{ms(pass), "ms"},
		commits: after - before, rssMB: f.peakRSSMB(),
		ferryDetail: fmt.Sprintf("%d open built-in pull requests, all due at once after a restart: first to last looked at %.0f ms (%.1f ms each); start to last %.0f ms; setup (%d reports → dev commits → pull requests) %.1f s",
			n, ms(pass), ms(pass)/float64(n), ms(last.Sub(started)), n, setup.Seconds()),
		target: "report only (API calls per round against a hosted provider's rate limit: not measured, built-in provider)",
	}}
}

// listState lists every promotion in state.
func listState(ctx context.Context, f *ferryProc, state string) ([]api.Promotion, error) {
	var all []api.Promotion
	cursor := ""
	for {
		q := "limit=500&state=" + state
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		page, err := f.promotions(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
}
