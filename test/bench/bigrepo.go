package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// runBigRepo is scenario 3: one update at a time on a repository of
// bigFiles files, with bigSmallCommits and then bigCommits of history;
// latency, Ferry's peak RSS and whether the cost grows with history. The
// script baseline runs on the long-history repository. The first update
// after start is reported on its own: it makes the writer's clone.
func runBigRepo(ctx context.Context, e *env) []result {
	const name = "bigrepo"
	sc := e.sc
	runs := []*bigRun{{files: sc.bigFiles, commits: sc.bigSmallCommits}, {files: sc.bigFiles, commits: sc.bigCommits}}
	for _, r := range runs {
		if err := r.measure(ctx, e); err != nil {
			return fail(name, err)
		}
	}
	small, big := runs[0], runs[1]

	script, cloneTime, err := big.script(ctx, e)
	if err != nil {
		return fail(name, err)
	}

	p99 := big.lat.pct(99)
	growth := float64(big.lat.pct(50)) / float64(small.lat.pct(50))
	rss := max(small.rss, big.rss)
	return []result{{
		scenario: name, lowerIsBetter: true,
		ferry: figure{ms(p99), "ms"}, baseline: &figure{ms(script.pct(99)), "ms"},
		commits: small.made + big.made, rssMB: rss,
		ferryDetail: fmt.Sprintf("%d files; %d commits: %s, first after start %.0f ms, ready in %.1f s, RSS %.0f MB; %d commits: %s, first after start %.0f ms, ready in %.1f s, RSS %.0f MB; p50 %d/%d = %.2f",
			sc.bigFiles, small.commits, small.lat.summary(), ms(small.cold), small.ready.Seconds(), small.rss,
			big.commits, big.lat.summary(), ms(big.cold), big.ready.Seconds(), big.rss, big.commits, small.commits, growth),
		baseDetail: fmt.Sprintf("script on %d commits (full clone %.1f s, not counted): %s", big.commits, cloneTime.Seconds(), script.summary()),
		target: met(p99 < time.Second, fmt.Sprintf("p99 %.0f ms < 1 s", ms(p99))) + "; " +
			met(rss < 300, fmt.Sprintf("peak RSS %.0f MB < 300 MB", rss)) + "; " +
			met(growth < 1.25, fmt.Sprintf("p50 at %d vs %d commits: %.2f× (flat: < 1.25×)", big.commits, small.commits, growth)),
	}}
}

// bigRun is one big-repository run: files and commits of history, then
// bigUpdates updates one at a time after a first one.
type bigRun struct {
	files, commits int
	lat            latencies
	cold, ready    time.Duration
	rss            float64
	made           int
	bare           string
}

func (r *bigRun) measure(ctx context.Context, e *env) error {
	sc := e.sc
	dir, err := e.dir(fmt.Sprintf("big-%d-%d", r.files, r.commits))
	if err != nil {
		return err
	}
	t0 := time.Now()
	if r.bare, err = genRepo(ctx, dir, e.reg, repoSpec{apps: 10, files: r.files, commits: r.commits}); err != nil {
		return err
	}
	logf("bigrepo: generated %d files, %d commits in %s", r.files, r.commits, time.Since(t0).Round(time.Millisecond))
	before, err := commitCount(ctx, r.bare)
	if err != nil {
		return err
	}
	t0 = time.Now()
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: r.bare, batchWindow: 0})
	if err != nil {
		return err
	}
	r.ready = time.Since(t0)
	for i := 0; i <= sc.bigUpdates; i++ {
		b, err := e.reg.tag(appName(i%10), fmt.Sprintf("3.%d.%d.%d", r.files, r.commits, i))
		if err != nil {
			f.stop()
			return err
		}
		s := time.Now()
		_, res, err := f.report(ctx, b, time.Minute)
		d := time.Since(s)
		if err == nil && res.Promotion.State != "committed" {
			err = fmt.Errorf("build %s: promotion is %s (%s)", b.tag, res.Promotion.State, res.Promotion.Reason)
		}
		if err != nil {
			f.stop()
			return err
		}
		if i == 0 {
			r.cold = d
		} else {
			r.lat = append(r.lat, d)
		}
	}
	r.rss = f.peakRSSMB()
	f.stop()
	after, err := commitCount(ctx, r.bare)
	if err != nil {
		return err
	}
	r.made = after - before
	return nil
}

// script times the update script on the run's repository (after a full
// clone, not counted, which is returned).
func (r *bigRun) script(ctx context.Context, e *env) (latencies, time.Duration, error) {
	clone := filepath.Join(filepath.Dir(r.bare), "clone")
	t0 := time.Now()
	if err := cloneRepo(ctx, r.bare, clone); err != nil {
		return nil, 0, err
	}
	cloneTime := time.Since(t0)
	builds := make([]build, e.sc.bigUpdates+1)
	for i := range builds {
		builds[i] = build{app: appName(i % 10), image: e.reg.image(appName(i % 10)), tag: fmt.Sprintf("4.%d.%d", r.files, i), digest: e.reg.digest}
	}
	lat, err := timeScript(ctx, e.scripts.update, clone, builds, 0)
	return lat, cloneTime, err
}

// runBigRepo100k is the big repository at 100,000 files (hugeFiles, with
// hugeCommits of history; the smoke scale keeps a small one): update
// latency and peak RSS against the script on the same repository.
func runBigRepo100k(ctx context.Context, e *env) []result {
	const name = "bigrepo-100k"
	sc := e.sc
	r := &bigRun{files: sc.hugeFiles, commits: sc.hugeCommits}
	if err := r.measure(ctx, e); err != nil {
		return fail(name, err)
	}
	script, cloneTime, err := r.script(ctx, e)
	if err != nil {
		return fail(name, err)
	}
	p99 := r.lat.pct(99)
	return []result{{
		scenario: name, lowerIsBetter: true,
		ferry: figure{ms(p99), "ms"}, baseline: &figure{ms(script.pct(99)), "ms"},
		commits: r.made, rssMB: r.rss,
		ferryDetail: fmt.Sprintf("%d files, %d commits: %s, first after start %.0f ms, ready in %.1f s, RSS %.0f MB",
			r.files, r.commits, r.lat.summary(), ms(r.cold), r.ready.Seconds(), r.rss),
		baseDetail: fmt.Sprintf("script (full clone %.1f s, not counted): %s", cloneTime.Seconds(), script.summary()),
		target: met(p99 <= 300*time.Millisecond, fmt.Sprintf("p99 %.0f ms ≤ 300 ms", ms(p99))) + "; " +
			met(r.rss <= 150, fmt.Sprintf("peak RSS %.0f MB ≤ 150 MB", r.rss)),
	}}
}
