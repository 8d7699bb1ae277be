package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// runSingle is scenario 1: report → commit pushed, one build at a time,
// with ?wait= and batching off (worker.batchWindow: 0s), against the script
// (pull, sed, commit, push) and against a bare `git commit && git push`,
// with the repository a local bare one over file://.
func runSingle(ctx context.Context, e *env) []result {
	return single(ctx, e, "single", e.sc.singleBuilds, nil)
}

// runSingleRTT40 is scenario 1 with the Git host (git http-backend over
// smart HTTP) and the registry 40 ms away, Ferry and both baselines
// through the same proxies.
func runSingleRTT40(ctx context.Context, e *env) []result {
	return single(ctx, e, "single-rtt40", e.sc.singleFarBuilds, &rtt40)
}

// single runs n+1 builds one at a time (the first not counted); with l,
// the Git host and the registry are that far away.
func single(ctx context.Context, e *env, name string, n int, l *link) []result {
	dir, err := e.dir(name)
	if err != nil {
		return fail(name, err)
	}
	reg := e.reg
	var fr *far
	if l != nil {
		if fr, err = goFar(e, dir, *l); err != nil {
			return fail(name, err)
		}
		defer fr.close()
		reg = fr.reg
	}
	bare, err := genRepo(ctx, dir, reg, repoSpec{apps: 10, files: 50, commits: 10})
	if err != nil {
		return fail(name, err)
	}
	remote := bare
	if fr != nil {
		if remote, err = fr.url(bare); err != nil {
			return fail(name, err)
		}
		if err := checkFar(ctx, remote); err != nil {
			return fail(name, err)
		}
	}
	app := appName(0)
	builds := make([]build, n+1)
	for i := range builds {
		if builds[i], err = e.reg.tag(app, fmt.Sprintf("1.0.%d", i)); err != nil {
			return fail(name, err)
		}
		if fr != nil {
			builds[i] = fr.build(builds[i])
		}
	}
	before, err := commitCount(ctx, bare)
	if err != nil {
		return fail(name, err)
	}

	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: reg.host, bare: remote, batchWindow: 0})
	if err != nil {
		return fail(name, err)
	}
	var (
		lat  latencies
		cold time.Duration
	)
	for i, b := range builds {
		t0 := time.Now()
		_, res, err := f.report(ctx, b, 30*time.Second)
		d := time.Since(t0)
		if err == nil && res.Promotion.State != "committed" {
			err = fmt.Errorf("build %s: promotion %s is %s (%s)", b.tag, res.Promotion.ID, res.Promotion.State, res.Promotion.Reason)
		}
		if err != nil {
			f.stop()
			return fail(name, err)
		}
		if i == 0 { // the first build warms the connection and caches
			cold = d
			continue
		}
		lat = append(lat, d)
	}
	rss := f.peakRSSMB()
	f.stop()
	after, err := commitCount(ctx, bare)
	if err != nil {
		return fail(name, err)
	}

	clone := filepath.Join(dir, "clone")
	if err := cloneRepo(ctx, remote, clone); err != nil {
		return fail(name, err)
	}
	script, err := timeScript(ctx, e.scripts.update, clone, builds, 100)
	if err != nil {
		return fail(name, err)
	}
	bareGit, err := timeScript(ctx, e.scripts.commitPush, clone, builds, 200)
	if err != nil {
		return fail(name, err)
	}
	p99 := lat.pct(99)
	ratioGit := float64(p99) / float64(bareGit.pct(99))
	target := met(p99 < 150*time.Millisecond, fmt.Sprintf("p99 %.0f ms < 150 ms", ms(p99))) + "; " +
		met(ratioGit <= 2, fmt.Sprintf("%.2f× bare commit+push p99 (≤ 2×)", ratioGit))
	where := "file://"
	if l != nil {
		target = met(ratioGit <= 1.5, fmt.Sprintf("%.2f× a bare commit+push through the same proxy, p99 (≤ 1.5×)", ratioGit))
		where = fmt.Sprintf("git http-backend and registry at RTT %s", l.RTT)
	}
	return []result{{
		scenario: name, lowerIsBetter: true,
		ferry: figure{ms(p99), "ms"}, baseline: &figure{ms(script.pct(99)), "ms"},
		commits: after - before, rssMB: rss,
		ferryDetail: fmt.Sprintf("p99 report→pushed, %s, batchWindow 0s, %s; first build after start %.0f ms", lat.summary(), where, ms(cold)),
		baseDetail: fmt.Sprintf("script (pull, sed, commit, push): %s; bare commit+push: %s",
			script.summary(), bareGit.summary()),
		target: target,
	}}
}

// timeScript runs script once per build in clone (the first run, a
// warm-up, is not counted) and returns the durations. Tags are made unique
// with suffix so that every run changes the file.
func timeScript(ctx context.Context, script, clone string, builds []build, suffix int) (latencies, error) {
	var lat latencies
	for i, b := range builds {
		b.tag = fmt.Sprintf("%s-%d", b.tag, suffix)
		t0 := time.Now()
		if _, err := runScript(ctx, script, clone, b); err != nil {
			return nil, err
		}
		if i > 0 {
			lat = append(lat, time.Since(t0))
		}
	}
	return lat, nil
}
