// Package replicas runs three ferry processes on one PostgreSQL database and
// one bare repository, kills one of them mid-way, and checks that every
// accepted build is written exactly once or superseded.
package replicas

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/test/ferrytest"
)

var ferryBin string

func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin) }

// cluster is the replicas, of which some may be dead.
type cluster struct {
	fs   []*ferrytest.Ferry
	dead []atomic.Bool
	next atomic.Int64
}

// pick returns the next live replica, round robin.
func (c *cluster) pick() *ferrytest.Ferry {
	for {
		i := int(c.next.Add(1)-1) % len(c.fs)
		if !c.dead[i].Load() {
			return c.fs[i]
		}
	}
}

// TestReplicas sends a burst of builds round robin to three replicas sharing
// one database and one repository, SIGKILLs one of them mid-way and does not
// restart it, and accounts for every accepted build once the survivors have
// drained the queue (taking over the dead one's leases).
func TestReplicas(t *testing.T) {
	const replicas = 3
	dsn := ferrytest.FreshDatabase(t, ferrytest.PostgresDSN(t), "replicas")
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	c := &cluster{dead: make([]atomic.Bool, replicas)}
	for range replicas {
		addr := ferrytest.FreeAddr(t)
		// A short lease: work held by the killed replica is taken over soon.
		cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare,
			"  batchWindow: 100ms\n  pollInterval: 200ms\n  lease: 5s\n  retryMax: 2s\n")
		ferrytest.UsePostgres(t, cfg, dsn)
		c.fs = append(c.fs, ferrytest.NewFerry(t, ferryBin, addr, cfg))
	}
	var started sync.WaitGroup
	for _, f := range c.fs {
		started.Go(func() { f.Start(t) })
	}
	started.Wait()
	if t.Failed() {
		return
	}

	var (
		mu       sync.Mutex
		accepted []ferrytest.Accepted
		seq      atomic.Int64
		refused  atomic.Int64
	)
	send := func(stop context.Context) {
		apps := ferrytest.Apps()
		for stop.Err() == nil {
			app := apps[rand.IntN(len(apps))]
			tag := fmt.Sprintf("r%d", seq.Add(1))
			digest, err := reg.Push("acme/"+app, tag)
			if err != nil {
				t.Error(err)
				return
			}
			b := ferrytest.Build{App: app, Tag: tag, Digest: digest}
			deadline := time.Now().Add(60 * time.Second)
			for {
				a, err := c.pick().Report(context.Background(), reg.Host, b)
				if err == nil {
					mu.Lock()
					accepted = append(accepted, a)
					mu.Unlock()
					break
				}
				refused.Add(1) // the killed replica, or a 5xx: the next replica gets it
				if time.Now().After(deadline) {
					t.Errorf("build %s %s not accepted in 60s: %v", app, tag, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(rand.N(60 * time.Millisecond))
		}
	}
	stop, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() { send(stop) })
	}
	time.Sleep(2 * time.Second)
	// SIGKILL the victim mid-burst, at a moment it holds leased work (or
	// after 3s regardless); it stays dead, and the others take over.
	victim := 1
	held := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n, err := ferrytest.LeasesHeld(context.Background(), dsn, c.fs[victim].Pid())
		if err != nil {
			t.Fatal(err)
		}
		if held = n; held > 0 {
			break
		}
	}
	c.fs[victim].Kill()
	c.dead[victim].Store(true)
	time.Sleep(3 * time.Second)
	stopSending()
	wg.Wait()

	survivor := c.fs[0]
	promotions := survivor.Drain(t, 60*time.Second)
	log := ferrytest.Log(t, bare, "main")
	tally := ferrytest.Account(accepted, promotions, log, "dev")
	fmt.Printf("replicas: replicas=%d killed=1 accepted=%d committed=%d lost=%d doubled=%d\n",
		replicas, tally.Accepted, tally.Committed, tally.Lost, tally.Doubled)
	t.Logf("superseded=%d commits=%d refused_reports=%d pushes: %d %d %d (killed replica %d, holding %d leases); pushes retried after a rejection: %d",
		tally.Superseded, len(log)-1, refused.Load(), pushes(c.fs[0]), pushes(c.fs[1]), pushes(c.fs[2]), victim, held,
		retried(c.fs[0])+retried(c.fs[1])+retried(c.fs[2]))
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
	if tally.Lost > 0 || tally.Doubled > 0 {
		t.Errorf("lost=%d doubled=%d, want 0", tally.Lost, tally.Doubled)
	}
	checkLinear(t, bare)
	checkEveryReplicaAnswers(t, c, len(promotions))
}

// pushes counts the commits a replica pushed.
func pushes(f *ferrytest.Ferry) int { return strings.Count(f.Output(), `"commit pushed"`) }

// retried counts the pushes a replica made only after a rejected push
// (another replica pushed first): non-fast-forwards it resolved.
func retried(f *ferrytest.Ferry) int {
	return len(regexp.MustCompile(`"commit pushed".*"attempts":([2-9]|[1-9][0-9])`).FindAllString(f.Output(), -1))
}

// checkLinear checks that main's history is one line of commits: replicas
// that raced resolved each rejected push by re-applying their edit on the
// new head, never by a merge. (A force push would have dropped commits that
// the store records as committed, which Account reports as lost.)
func checkLinear(t *testing.T, bare string) {
	t.Helper()
	if merges := ferrytest.Git(t, bare, "rev-list", "--merges", "--count", "main"); merges != "0" {
		t.Errorf("main has %s merge commits, want a linear history", merges)
	}
}

// checkEveryReplicaAnswers checks that the live replicas all see the same
// promotions: every replica answers every API call.
func checkEveryReplicaAnswers(t *testing.T, c *cluster, want int) {
	t.Helper()
	for i, f := range c.fs {
		if c.dead[i].Load() {
			continue
		}
		if got := len(f.Promotions(t)); got != want {
			t.Errorf("replica %d lists %d promotions, want %d", i, got, want)
		}
	}
}
