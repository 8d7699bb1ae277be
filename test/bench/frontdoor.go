package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// runFrontDoor is scenario 5: a replayed build report (200, duplicate, no
// new work), without and with an Idempotency-Key, and GET /healthz under load from concurrent Go clients for a
// fixed time: requests/s and latency. Ferry runs with the default 1s
// batching window.
func runFrontDoor(ctx context.Context, e *env) []result {
	dir, err := e.dir("frontdoor")
	if err != nil {
		return fail("frontdoor", err)
	}
	bare, err := genRepo(ctx, dir, e.reg, repoSpec{apps: 10, files: 20, commits: 1})
	if err != nil {
		return fail("frontdoor", err)
	}
	b, err := e.reg.tag(appName(0), "5.0.0")
	if err != nil {
		return fail("frontdoor", err)
	}
	before, err := commitCount(ctx, bare)
	if err != nil {
		return fail("frontdoor", err)
	}
	f, err := startFerry(ctx, e.bin, ferryOpts{dir: dir, regHost: e.reg.host, bare: bare, batchWindow: time.Second})
	if err != nil {
		return fail("frontdoor", err)
	}
	defer f.stop()
	if _, res, err := f.report(ctx, b, 30*time.Second); err != nil || res.Promotion.State != "committed" {
		return fail("frontdoor", fmt.Errorf("first report: %v (state %q)", err, res.Promotion.State))
	}
	body := b.body()
	dup := load(ctx, e.sc.frontClients, e.sc.frontDuration, func(ctx context.Context) error {
		status, out, err := f.do(ctx, http.MethodPost, f.url+"/api/v1/builds", body)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("replayed report: %d %s", status, out)
		}
		return err
	})
	key := "bench-replay-0001"
	if status, out, err := f.do(ctx, http.MethodPost, f.url+"/api/v1/builds", body, "Idempotency-Key", key); err != nil || status != http.StatusOK {
		return fail("frontdoor", fmt.Errorf("first report with Idempotency-Key: %v %d %s", err, status, out))
	}
	replay := load(ctx, e.sc.frontClients, e.sc.frontDuration, func(ctx context.Context) error {
		status, out, err := f.do(ctx, http.MethodPost, f.url+"/api/v1/builds", body, "Idempotency-Key", key)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("replayed report with Idempotency-Key: %d %s", status, out)
		}
		return err
	})
	health := load(ctx, e.sc.frontClients, e.sc.frontDuration, func(ctx context.Context) error {
		status, out, err := f.do(ctx, http.MethodGet, f.url+"/healthz", nil)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("healthz: %d %s", status, out)
		}
		return err
	})
	rss := f.peakRSSMB()
	after, err := commitCount(ctx, bare)
	if err != nil {
		return fail("frontdoor", err)
	}
	var out []result
	for _, l := range []struct {
		name string
		lr   loadResult
		what string
	}{
		{"frontdoor-duplicate", dup, "replayed POST /api/v1/builds (same application, tag, digest; no key) → 200 duplicate"},
		{"frontdoor-replay", replay, "replayed POST /api/v1/builds with the same Idempotency-Key → stored answer"},
		{"frontdoor-healthz", health, "GET /healthz"},
	} {
		r := result{
			scenario: l.name, ferry: figure{l.lr.rps(), "rps"}, commits: after - before, rssMB: rss,
			ferryDetail: fmt.Sprintf("%s, %d clients for %s: %d requests, %s", l.what, e.sc.frontClients, e.sc.frontDuration, len(l.lr.lat), l.lr.lat.summary()),
			target:      "no target; report only",
		}
		if l.lr.err != nil {
			r.err = l.lr.err
		}
		out = append(out, r)
	}
	return out
}

type loadResult struct {
	lat     latencies
	elapsed time.Duration
	err     error
}

func (l loadResult) rps() float64 { return float64(len(l.lat)) / l.elapsed.Seconds() }

// load runs fn from clients goroutines back to back for d.
func load(ctx context.Context, clients int, d time.Duration, fn func(context.Context) error) loadResult {
	var (
		mu  sync.Mutex
		res loadResult
		wg  sync.WaitGroup
	)
	end := time.Now().Add(d)
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Go(func() {
			var lat latencies
			var first error
			for time.Now().Before(end) && ctx.Err() == nil {
				s := time.Now()
				if err := fn(ctx); err != nil {
					first = err
					break
				}
				lat = append(lat, time.Since(s))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			if res.err == nil {
				res.err = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	return res
}
