package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
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
	return burst(ctx, e, burstCase{
		builds: sc.burstBuilds, apps: sc.burstApps, repos: 1, scriptCap: sc.burstBaselineCap,
		runs: []burstRun{{"burst", time.Second}, {"burst-nobatch", 0}},
	})
}

// runBurstRTT40 is the burst with the Git host (git http-backend) and the
// registry 40 ms away, Ferry and the script through the same proxies.
func runBurstRTT40(ctx context.Context, e *env) []result {
	sc := e.sc
	return burst(ctx, e, burstCase{
		builds: sc.burstBuilds, apps: sc.burstApps, repos: 1, scriptCap: sc.burstFarCap, far: &rtt40,
		runs: []burstRun{{"burst-rtt40", time.Second}},
	})
}

// runBurst10k is the big burst: burst10kBuilds builds over burst10kApps
// applications in three environment repositories, default batching. No
// script baseline: at this size it would only repeat the burst's.
func runBurst10k(ctx context.Context, e *env) []result {
	sc := e.sc
	return burst(ctx, e, burstCase{
		builds: sc.burst10kBuilds, apps: sc.burst10kApps, repos: 3,
		runs: []burstRun{{"burst-10k", time.Second}},
	})
}

// burstCase is one burst scenario: its size, the Ferry runs, and the
// script baseline's cap (none when 0).
type burstCase struct {
	builds, apps, repos int
	scriptCap           time.Duration
	far                 *link
	runs                []burstRun
}

type burstRun struct {
	name   string
	window time.Duration
}

func burst(ctx context.Context, e *env, bc burstCase) []result {
	sc := e.sc
	name := bc.runs[0].name
	builds := make([]build, bc.builds)
	for i := range builds {
		var err error
		// Build i is the (i/apps)-th release of application i%apps: the
		// releases of one application are far apart in the send order.
		if builds[i], err = e.reg.tag(appName(i%bc.apps), fmt.Sprintf("2.%d.0", i/bc.apps)); err != nil {
			return fail(name, err)
		}
	}
	specs := make([]repoSpec, bc.repos)
	for r := range specs {
		var ids []int
		for i := r; i < bc.apps; i += bc.repos {
			ids = append(ids, i)
		}
		specs[r] = repoSpec{apps: len(ids), appIDs: ids, files: len(ids) + 1, commits: 1}
	}

	var script *scriptFigures
	if bc.scriptCap > 0 {
		sf, err := burstScript(ctx, e, bc, specs[0], builds)
		if err != nil {
			return fail(name, err)
		}
		script = &sf
	}
	var out []result
	for _, w := range bc.runs {
		fb, err := burstFerry(ctx, e, bc, specs, builds, w.window)
		if err != nil {
			out = append(out, result{scenario: w.name, err: err})
			continue
		}
		r := result{
			scenario: w.name, lowerIsBetter: true,
			ferry:   figure{fb.elapsed.Seconds(), "s"},
			commits: fb.commits, rssMB: fb.rss,
			ferryDetail: fmt.Sprintf("%d builds, %d apps, %d repos, %d clients, batchWindow %s%s: all accepted in %.2f s, report p50 %.0f ms p99 %.0f ms; %d committed, %d superseded, %d failed; commits per repo %v",
				len(builds), bc.apps, bc.repos, sc.burstClients, w.window, fb.where, fb.accepted.Seconds(), ms(fb.lat.pct(50)), ms(fb.lat.pct(99)), fb.committed, fb.superseded, fb.failed, fb.perRepo),
		}
		windows := int(math.Ceil(fb.elapsed.Seconds()/max(w.window.Seconds(), 1))) + 1
		maxPerRepo := 0
		for _, c := range fb.perRepo {
			maxPerRepo = max(maxPerRepo, c)
		}
		switch {
		case script == nil:
			r.target = met(fb.elapsed <= 8*time.Second, fmt.Sprintf("all committed in %.2f s (≤ 8 s)", fb.elapsed.Seconds())) + "; " +
				met(maxPerRepo <= 3*windows, fmt.Sprintf("at most %d commits on a branch in ≤ %d windows (≤ 3 per window)", maxPerRepo, windows))
		default:
			r.baseline, r.baseDetail = &figure{script.elapsed.Seconds(), "s"}, script.detail
			ratio := r.ratio()
			extra := float64(script.extrapolated) / float64(fb.elapsed)
			switch {
			case bc.far != nil:
				r.target = met(fb.elapsed <= 2*time.Second, fmt.Sprintf("all committed in %.2f s (≤ 2 s)", fb.elapsed.Seconds())) + "; " +
					met(extra >= 300, fmt.Sprintf("%.0f× sooner than the script, extrapolated (≥ 300×)", extra))
			case w.window > 0:
				r.target = met(fb.elapsed <= time.Second, fmt.Sprintf("all committed in %.2f s (≤ 1 s)", fb.elapsed.Seconds())) + "; " +
					met(ratio >= 20, fmt.Sprintf("%.1f× sooner (≥ 20×)", ratio)) + "; " +
					met(fb.commits <= windows, fmt.Sprintf("%d commits in ≤ %d windows", fb.commits, windows))
			default:
				r.target = fmt.Sprintf("%.1f× sooner (no target without batching)", ratio)
			}
			if script.capped {
				r.target += fmt.Sprintf("; baseline stopped at its cap: ratio %.1f× is a lower bound, %.1f× extrapolated from the rate its builds landed", ratio, extra)
			}
		}
		out = append(out, r)
	}
	return out
}

type burstFigures struct {
	elapsed, accepted             time.Duration
	lat                           latencies
	commits                       int
	perRepo                       []int
	committed, superseded, failed int
	rss                           float64
	where                         string
}

// burstFerry sends builds from concurrent clients and waits until no
// promotion is pending.
func burstFerry(ctx context.Context, e *env, bc burstCase, specs []repoSpec, builds []build, window time.Duration) (burstFigures, error) {
	var fb burstFigures
	dir, err := e.dir(fmt.Sprintf("burst-ferry-%s", window))
	if err != nil {
		return fb, err
	}
	reg, fr, err := farFor(e, dir, bc.far)
	if err != nil {
		return fb, err
	}
	if fr != nil {
		defer fr.close()
		fb.where = fmt.Sprintf(", Git and registry at RTT %s", bc.far.RTT)
		builds = slices.Clone(builds)
		for i := range builds {
			builds[i] = fr.build(builds[i])
		}
	}
	var bares, remotes []string
	for i, spec := range specs {
		d := filepath.Join(dir, fmt.Sprintf("repo%d", i))
		bare, err := genRepo(ctx, d, reg, spec)
		if err != nil {
			return fb, err
		}
		remote := bare
		if fr != nil {
			if remote, err = fr.url(bare); err != nil {
				return fb, err
			}
		}
		bares, remotes = append(bares, bare), append(remotes, remote)
	}
	before := make([]int, len(bares))
	for i, b := range bares {
		if before[i], err = commitCount(ctx, b); err != nil {
			return fb, err
		}
	}
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: reg.host, bare: remotes[0], more: remotes[1:], batchWindow: window})
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
	for i, b := range bares {
		after, err := commitCount(ctx, b)
		if err != nil {
			return fb, err
		}
		fb.perRepo = append(fb.perRepo, after-before[i])
		fb.commits += after - before[i]
	}
	return fb, nil
}

// farFor returns the registry to name images by and, with l, the far Git
// host and registry serving the repositories under dir.
func farFor(e *env, dir string, l *link) (*registry, *far, error) {
	if l == nil {
		return e.reg, nil, nil
	}
	fr, err := goFar(e, dir, *l)
	if err != nil {
		return nil, nil, err
	}
	return fr.reg, fr, nil
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
	// extrapolated is the time the script would take for every build, at
	// the rate its builds landed (elapsed when it was not capped).
	extrapolated time.Duration
	detail       string
}

// burstScript runs one copy of the update script per client, each in its
// own clone, taking builds from a shared queue until all are pushed or the
// cap is reached.
func burstScript(ctx context.Context, e *env, bc burstCase, spec repoSpec, builds []build) (scriptFigures, error) {
	var sf scriptFigures
	dir, err := e.dir("burst-script")
	if err != nil {
		return sf, err
	}
	reg, fr, err := farFor(e, dir, bc.far)
	if err != nil {
		return sf, err
	}
	if fr != nil {
		defer fr.close()
	}
	bare, err := genRepo(ctx, dir, reg, spec)
	if err != nil {
		return sf, err
	}
	remote := bare
	if fr != nil {
		if remote, err = fr.url(bare); err != nil {
			return sf, err
		}
	}
	before, err := commitCount(ctx, bare)
	if err != nil {
		return sf, err
	}
	clients := e.sc.burstClients
	clones := make([]string, clients)
	for c := range clones {
		clones[c] = filepath.Join(dir, fmt.Sprintf("clone%02d", c))
		if err := cloneRepo(ctx, remote, clones[c]); err != nil {
			return sf, err
		}
	}
	queue := make(chan build, len(builds))
	for _, b := range builds {
		queue <- b
	}
	close(queue)
	cctx, cancel := context.WithTimeout(ctx, bc.scriptCap)
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
	sf.extrapolated = sf.elapsed
	if sf.capped {
		sf.extrapolated = time.Duration(float64(sf.elapsed) * float64(len(builds)) / float64(max(1, done.Load())))
	}
	sf.detail = fmt.Sprintf("%d copies of the script: %d of %d builds in %.1f s, %d commits, %d push attempts (%.1f per build)",
		clients, done.Load(), len(builds), sf.elapsed.Seconds(), after-before, pushes.Load(), float64(pushes.Load())/float64(max(1, done.Load())))
	if sf.capped {
		sf.detail += fmt.Sprintf(", stopped at the %s cap; all %d extrapolated: %.0f s", bc.scriptCap, len(builds), sf.extrapolated.Seconds())
	}
	return sf, nil
}
