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
	type run struct {
		commits     int
		lat         latencies
		cold, ready time.Duration
		rss         float64
		made        int
		bare        string
	}
	runs := []*run{{commits: sc.bigSmallCommits}, {commits: sc.bigCommits}}
	for _, r := range runs {
		dir, err := e.dir(fmt.Sprintf("big-%d", r.commits))
		if err != nil {
			return fail(name, err)
		}
		t0 := time.Now()
		if r.bare, err = genRepo(ctx, dir, e.reg, repoSpec{apps: 10, files: sc.bigFiles, commits: r.commits}); err != nil {
			return fail(name, err)
		}
		logf("bigrepo: generated %d files, %d commits in %s", sc.bigFiles, r.commits, time.Since(t0).Round(time.Millisecond))
		before, err := commitCount(ctx, r.bare)
		if err != nil {
			return fail(name, err)
		}
		t0 = time.Now()
		f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: r.bare, batchWindow: 0})
		if err != nil {
			return fail(name, err)
		}
		r.ready = time.Since(t0)
		for i := 0; i <= sc.bigUpdates; i++ {
			b, err := e.reg.tag(appName(i%10), fmt.Sprintf("3.%d.%d", r.commits, i))
			if err != nil {
				f.stop()
				return fail(name, err)
			}
			s := time.Now()
			_, res, err := f.report(ctx, b, time.Minute)
			d := time.Since(s)
			if err == nil && res.Promotion.State != "committed" {
				err = fmt.Errorf("build %s: promotion is %s (%s)", b.tag, res.Promotion.State, res.Promotion.Reason)
			}
			if err != nil {
				f.stop()
				return fail(name, err)
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
			return fail(name, err)
		}
		r.made = after - before
	}
	small, big := runs[0], runs[1]

	clone := filepath.Join(filepath.Dir(big.bare), "clone")
	t0 := time.Now()
	if err := cloneRepo(ctx, big.bare, clone); err != nil {
		return fail(name, err)
	}
	cloneTime := time.Since(t0)
	builds := make([]build, sc.bigUpdates+1)
	for i := range builds {
		builds[i] = build{app: appName(i % 10), image: e.reg.image(appName(i % 10)), tag: fmt.Sprintf("4.0.%d", i), digest: e.reg.digest}
	}
	script, err := timeScript(ctx, e.scripts.update, clone, builds, 0)
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
