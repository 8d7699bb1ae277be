// Package crash kills the real ferry binary in the middle of its work, and
// stops it gracefully, and checks that no accepted build is lost or written
// twice.
package crash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/test/ferrytest"
)

// ferryBin is the binary built once for the package.
var ferryBin string

// TestMain builds the binary, runs the tests and then prints the fault
// suite's line (faults_test.go) from what they measured.
func TestMain(m *testing.M) {
	ferrytest.MainThen(m, &ferryBin, func() {
		if l := faultLine(); l != "" {
			fmt.Println(l)
		}
	})
}

// sender reports builds of random applications (several of each, so newer
// ones supersede older ones) until stop ends, each a distinct image, each
// re-sent until it is answered 2xx.
type sender struct {
	reg  *ferrytest.Registry
	f    *ferrytest.Ferry
	seq  atomic.Int64
	mu   sync.Mutex
	acc  []ferrytest.Accepted
	errs atomic.Int64 // answers that were not 2xx: refused, reset, 5xx
}

func (s *sender) run(t *testing.T, stop context.Context, pause time.Duration) {
	apps := ferrytest.Apps()
	for stop.Err() == nil {
		app := apps[rand.IntN(len(apps))]
		tag := fmt.Sprintf("b%d", s.seq.Add(1))
		digest, err := s.reg.Push("acme/"+app, tag)
		if err != nil {
			t.Error(err)
			return
		}
		b := ferrytest.Build{App: app, Tag: tag, Digest: digest}
		deadline := time.Now().Add(60 * time.Second)
		for {
			a, err := s.f.Report(context.Background(), s.reg.Host, b)
			if err == nil {
				s.mu.Lock()
				s.acc = append(s.acc, a)
				s.mu.Unlock()
				break
			}
			s.errs.Add(1)
			if time.Now().After(deadline) {
				t.Errorf("build %s %s not accepted in 60s: %v", app, tag, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(pause) + 1)))
	}
}

func (s *sender) accepted() []ferrytest.Accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ferrytest.Accepted(nil), s.acc...)
}

// report checks the tally and fails the test on any problem.
func report(t *testing.T, tally ferrytest.Tally) {
	t.Helper()
	for i, p := range tally.Problems {
		if i == 20 {
			t.Errorf("… and %d more problems", len(tally.Problems)-20)
			break
		}
		t.Error(p)
	}
	if tally.Accepted == 0 {
		t.Error("no build was accepted")
	}
}

// TestCrash kills ferry with SIGKILL at random moments while builds keep
// arriving, restarts it each time, and checks that every accepted build
// ends in exactly one commit or is superseded by a newer build.
func TestCrash(t *testing.T) {
	const wantKills = 10
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	// A short lease: work held by a killed process is taken over soon.
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare,
		"  batchWindow: 100ms\n  pollInterval: 200ms\n  lease: 5s\n  retryMax: 2s\n")
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	s := &sender{reg: reg, f: f}
	stop, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.run(t, stop, 100*time.Millisecond) })
	}
	kills := 0
	for kills < wantKills && !t.Failed() {
		time.Sleep(200*time.Millisecond + rand.N(1000*time.Millisecond))
		f.Kill()
		kills++
		time.Sleep(rand.N(300 * time.Millisecond)) // down a moment: reports are refused
		f.Start(t)
	}
	time.Sleep(500 * time.Millisecond) // builds still arrive after the last restart
	stopSending()
	wg.Wait()

	// A final restart, then let the queue drain.
	f.Kill()
	f.Start(t)
	promotions := f.Drain(t, 60*time.Second)
	log := ferrytest.Log(t, bare, "main")
	tally := ferrytest.Account(s.accepted(), promotions, log, "dev")
	fmt.Printf("crash: kills=%d accepted=%d committed=%d lost=%d doubled=%d\n",
		kills, tally.Accepted, tally.Committed, tally.Lost, tally.Doubled)
	t.Logf("superseded=%d commits=%d refused_or_failed_reports=%d recoveries_beyond_local_history=%d",
		tally.Superseded, len(log)-1, s.errs.Load(), strings.Count(f.Output(), "looked for earlier pushes beyond the local history"))
	report(t, tally)
	if kills < wantKills {
		t.Errorf("kills = %d, want at least %d", kills, wantKills)
	}
	if tally.Lost > 0 || tally.Doubled > 0 {
		t.Errorf("lost=%d doubled=%d, want 0", tally.Lost, tally.Doubled)
	}
}
