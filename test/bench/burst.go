package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// runBurst is scenario 2: builds for many applications sent by concurrent
// clients as fast as they can; time until all are committed, and commits
// made. Ferry with the default 1s batching window and with batching off,
// against concurrent copies of the update script.
func runBurst(ctx context.Context, e *env) []result {
	sc := e.sc
	builds := make([]build, sc.burstBuilds)
	for i := range builds {
		var err error
		// Build i is the (i/apps)-th release of application i%apps: the
		// releases of one application are far apart in the send order.
		if builds[i], err = e.reg.tag(appName(i%sc.burstApps), fmt.Sprintf("2.%d.0", i/sc.burstApps)); err != nil {
			return fail("burst", err)
		}
	}
	spec := repoSpec{apps: sc.burstApps, files: sc.burstApps + 1, commits: 1}

	script, err := burstScript(ctx, e, spec, builds)
	if err != nil {
		return fail("burst", err)
	}
	var out []result
	for _, w := range []struct {
		name   string
		window time.Duration
	}{{"burst", time.Second}, {"burst-nobatch", 0}} {
		fb, err := burstFerry(ctx, e, spec, builds, w.window)
		if err != nil {
			out = append(out, result{scenario: w.name, err: err})
			continue
		}
		r := result{
			scenario: w.name, lowerIsBetter: true,
			ferry: figure{fb.elapsed.Seconds(), "s"}, baseline: &figure{script.elapsed.Seconds(), "s"},
			commits: fb.commits, rssMB: fb.rss,
			ferryDetail: fmt.Sprintf("%d builds, %d apps, %d clients, batchWindow %s: all accepted in %.2f s, report p50 %.0f ms p99 %.0f ms; %d committed, %d superseded, %d failed",
				len(builds), sc.burstApps, sc.burstClients, w.window, fb.accepted.Seconds(), ms(fb.lat.pct(50)), ms(fb.lat.pct(99)), fb.committed, fb.superseded, fb.failed),
			baseDetail: script.detail,
		}
		ratio := r.ratio()
		if w.window > 0 {
			windows := int(math.Ceil(fb.elapsed.Seconds()/w.window.Seconds())) + 1
			r.target = met(ratio >= 20, fmt.Sprintf("%.1f× sooner (≥ 20×)", ratio)) + "; " +
				met(fb.commits <= windows, fmt.Sprintf("%d commits in ≤ %d windows", fb.commits, windows))
		} else {
			r.target = fmt.Sprintf("%.1f× sooner (no target without batching)", ratio)
		}
		if script.capped {
			r.target += "; baseline stopped at its cap: ratio is a lower bound"
		}
		out = append(out, r)
	}
	return out
}

type burstFigures struct {
	elapsed, accepted             time.Duration
	lat                           latencies
	commits                       int
	committed, superseded, failed int
	rss                           float64
}

// burstFerry sends builds from concurrent clients and waits until no
// promotion is pending.
func burstFerry(ctx context.Context, e *env, spec repoSpec, builds []build, window time.Duration) (burstFigures, error) {
	var fb burstFigures
	dir, err := e.dir(fmt.Sprintf("burst-ferry-%s", window))
	if err != nil {
		return fb, err
	}
	bare, err := genRepo(ctx, dir, e.reg, spec)
	if err != nil {
		return fb, err
	}
	before, err := commitCount(ctx, bare)
	if err != nil {
		return fb, err
	}
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: bare, batchWindow: window})
	if err != nil {
		return fb, err
	}
	defer f.stop()

	queue := make(chan build, len(builds))
	for _, b := range builds {
		queue <- b
	}
	close(queue)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	t0 := time.Now()
	for c := 0; c < e.sc.burstClients; c++ {
		wg.Go(func() {
			for b := range queue {
				s := time.Now()
				_, _, err := f.report(ctx, b, 0)
				mu.Lock()
				fb.lat = append(fb.lat, time.Since(s))
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fb.accepted = time.Since(t0)
	if firstErr != nil {
		return fb, firstErr
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		page, err := f.promotions(ctx, "state=pending&limit=1")
		if err != nil {
			return fb, err
		}
		if len(page.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fb, errors.New("promotions still pending after 5 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fb.elapsed = time.Since(t0)
	fb.rss = f.peakRSSMB()
	for _, c := range []struct {
		state string
		n     *int
	}{{"committed", &fb.committed}, {"superseded", &fb.superseded}, {"failed", &fb.failed}} {
		if *c.n, err = countPromotions(ctx, f, c.state); err != nil {
			return fb, err
		}
	}
	if fb.committed+fb.superseded != len(builds) {
		return fb, fmt.Errorf("%d committed + %d superseded of %d builds (%d failed)", fb.committed, fb.superseded, len(builds), fb.failed)
	}
	after, err := commitCount(ctx, bare)
	if err != nil {
		return fb, err
	}
	fb.commits = after - before
	return fb, nil
}

// countPromotions counts promotions in state by walking the pages.
func countPromotions(ctx context.Context, f *ferryProc, state string) (int, error) {
	n, cursor := 0, ""
	for {
		q := "limit=500&state=" + state
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		page, err := f.promotions(ctx, q)
		if err != nil {
			return 0, err
		}
		n += len(page.Items)
		if page.NextCursor == "" {
			return n, nil
		}
		cursor = page.NextCursor
	}
}

type scriptFigures struct {
	elapsed time.Duration
	capped  bool
	detail  string
}

// burstScript runs one copy of the update script per client, each in its
// own clone, taking builds from a shared queue until all are pushed or the
// cap is reached.
func burstScript(ctx context.Context, e *env, spec repoSpec, builds []build) (scriptFigures, error) {
	var sf scriptFigures
	dir, err := e.dir("burst-script")
	if err != nil {
		return sf, err
	}
	bare, err := genRepo(ctx, dir, e.reg, spec)
	if err != nil {
		return sf, err
	}
	before, err := commitCount(ctx, bare)
	if err != nil {
		return sf, err
	}
	clients := e.sc.burstClients
	clones := make([]string, clients)
	for c := range clones {
		clones[c] = filepath.Join(dir, fmt.Sprintf("clone%02d", c))
		if err := cloneRepo(ctx, bare, clones[c]); err != nil {
			return sf, err
		}
	}
	queue := make(chan build, len(builds))
	for _, b := range builds {
		queue <- b
	}
	close(queue)
	cctx, cancel := context.WithTimeout(ctx, e.sc.burstBaselineCap)
	defer cancel()
	var (
		done, pushes atomic.Int64
		mu           sync.Mutex
		firstErr     error
		wg           sync.WaitGroup
	)
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Go(func() {
			for b := range queue {
				if cctx.Err() != nil {
					return
				}
				n, err := runScript(cctx, e.scripts.update, clones[c], b)
				if err != nil {
					if cctx.Err() == nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
					return
				}
				done.Add(1)
				pushes.Add(int64(n))
			}
		})
	}
	wg.Wait()
	sf.elapsed = time.Since(t0)
	if firstErr != nil {
		return sf, firstErr
	}
	after, err := commitCount(ctx, bare)
	if err != nil {
		return sf, err
	}
	sf.capped = int(done.Load()) < len(builds)
	sf.detail = fmt.Sprintf("%d copies of the script: %d of %d builds in %.1f s, %d commits, %d push attempts (%.1f per build)",
		clients, done.Load(), len(builds), sf.elapsed.Seconds(), after-before, pushes.Load(), float64(pushes.Load())/float64(max(1, done.Load())))
	if sf.capped {
		sf.detail += fmt.Sprintf(", stopped at the %s cap", e.sc.burstBaselineCap)
	}
	return sf, nil
}
