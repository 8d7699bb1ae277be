package crash

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/test/ferrytest"
)

// TestGracefulShutdown sends SIGTERM while a push is in flight and builds
// are waiting on it: ferry stops taking connections at once, answers the
// waiting reports, finishes the push, hands nothing to a lease, and exits in
// bounded time; after a restart the queue drains with nothing lost.
func TestGracefulShutdown(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	// A slow remote: each push takes two seconds, and says when it starts.
	started := filepath.Join(t.TempDir(), "push-started")
	hook := fmt.Sprintf("#!/bin/sh\ntouch %s\nsleep 2\n", started)
	if err := os.WriteFile(filepath.Join(bare, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := ferrytest.FreeAddr(t)
	// A long lease: work left leased at exit would stall the drain below.
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare,
		"  batchWindow: 200ms\n  pollInterval: 200ms\n  lease: 2m\n")
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	s := &sender{reg: reg, f: f}
	stop, stopSending := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { s.run(t, stop, 50*time.Millisecond) })
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no push started in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopSending()
	wg.Wait()

	// Reports waiting for their promotion while the push runs.
	type answer struct {
		status int
		state  string
		err    error
	}
	answers := make(chan answer, 4)
	for i := range 4 {
		app := ferrytest.Apps()[i]
		digest, err := reg.Push("acme/"+app, fmt.Sprintf("w%d", i))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			a, st, err := f.ReportWait(context.Background(), reg.Host, ferrytest.Build{App: app, Tag: fmt.Sprintf("w%d", i), Digest: digest}, "30s")
			if err == nil {
				s.mu.Lock()
				s.acc = append(s.acc, a)
				s.mu.Unlock()
			}
			answers <- answer{a.Status, st, err}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the reports are in, waiting

	type exit struct {
		took time.Duration
		code int
		err  error
	}
	exited := make(chan exit, 1)
	go func() {
		took, code, err := f.Terminate(30 * time.Second)
		exited <- exit{took, code, err}
	}()
	time.Sleep(500 * time.Millisecond)
	// No new connections once shutdown began.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	if resp, err := client.Get(f.URL + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("a new request during shutdown got %d, want a refused connection or 503", resp.StatusCode)
		}
	}
	for range 4 {
		a := <-answers
		if a.err != nil || a.status != http.StatusAccepted {
			t.Errorf("a report waiting at shutdown got status %d, %v; want 202 with the state as it is", a.status, a.err)
		}
	}
	e := <-exited
	if e.err != nil || e.code != 0 {
		t.Fatalf("exit after SIGTERM: code %d, %v", e.code, e.err)
	}
	if e.took > 25*time.Second {
		t.Errorf("exit took %s after SIGTERM, want under 25s", e.took)
	}

	// Restart: whatever was not finished was handed back, not left leased
	// for two minutes.
	f.Start(t)
	start := time.Now()
	promotions := f.Drain(t, 30*time.Second)
	tally := ferrytest.Account(s.accepted(), promotions, ferrytest.Log(t, bare, "main"), "dev")
	t.Logf("shutdown: exit_after=%s accepted=%d committed=%d superseded=%d lost=%d doubled=%d drained_in=%s",
		e.took.Round(time.Millisecond), tally.Accepted, tally.Committed, tally.Superseded, tally.Lost, tally.Doubled, time.Since(start).Round(time.Millisecond))
	report(t, tally)
	if tally.Lost > 0 || tally.Doubled > 0 {
		t.Errorf("lost=%d doubled=%d, want 0", tally.Lost, tally.Doubled)
	}
}
