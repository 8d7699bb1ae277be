// Package concurrent runs the real ferry binary while a person, with the git
// CLI, pushes to the same branch as fast as they can: Ferry must never
// clobber their commits, and must land every build.
package concurrent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/test/ferrytest"
)

var ferryBin string

func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin) }

// human commits an unrelated file and pushes, as fast as it can until stop
// ends, rebasing on a rejected push; it returns the subjects it pushed.
func human(t *testing.T, stop context.Context, bare string) []string {
	work := filepath.Join(t.TempDir(), "human")
	ferrytest.Git(t, "", "clone", "-q", bare, work)
	var pushed []string
	for n := 1; stop.Err() == nil; n++ {
		subject := fmt.Sprintf("notes: human edit %d", n)
		p := filepath.Join(work, "notes", fmt.Sprintf("%d.txt", n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Error(err)
			return pushed
		}
		if err := os.WriteFile(p, []byte(subject+"\n"), 0o644); err != nil {
			t.Error(err)
			return pushed
		}
		ferrytest.Git(t, work, "add", "-A")
		ferrytest.Git(t, work, "commit", "-q", "-m", subject)
		for try := 1; ; try++ {
			if _, err := ferrytest.GitErr(work, "push", "-q", "origin", "main"); err == nil {
				break
			}
			if try == 50 {
				t.Errorf("%q not pushed after 50 tries", subject)
				return pushed
			}
			if out, err := ferrytest.GitErr(work, "pull", "-q", "--rebase", "origin", "main"); err != nil {
				t.Errorf("pull --rebase: %v\n%s", err, out)
				return pushed
			}
		}
		pushed = append(pushed, subject)
	}
	return pushed
}

func TestConcurrentWriters(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare,
		"  batchWindow: 100ms\n  pollInterval: 200ms\n  lease: 30s\n  retryMax: 2s\n")
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	stopHuman, endHuman := context.WithCancel(context.Background())
	defer endHuman()
	humanDone := make(chan []string, 1)
	go func() { humanDone <- human(t, stopHuman, bare) }()

	// A burst of builds from three CI pipelines over a few seconds.
	var (
		mu       sync.Mutex
		accepted []ferrytest.Accepted
		seq      atomic.Int64
		wg       sync.WaitGroup
	)
	apps := ferrytest.Apps()
	for range 3 {
		wg.Go(func() {
			for range 20 {
				app := apps[rand.IntN(len(apps))]
				tag := fmt.Sprintf("c%d", seq.Add(1))
				digest, err := reg.Push("acme/"+app, tag)
				if err != nil {
					t.Error(err)
					return
				}
				a, err := f.Report(context.Background(), reg.Host, ferrytest.Build{App: app, Tag: tag, Digest: digest})
				if err != nil {
					t.Errorf("reporting %s %s: %v", app, tag, err)
					return
				}
				mu.Lock()
				accepted = append(accepted, a)
				mu.Unlock()
				time.Sleep(rand.N(150 * time.Millisecond))
			}
		})
	}
	wg.Wait()
	// The person keeps pushing while Ferry works through the queue.
	promotions := f.Drain(t, 90*time.Second)
	endHuman()
	subjects := <-humanDone

	log := ferrytest.Git(t, bare, "log", "--format=%s", "main")
	preserved := 0
	for _, s := range subjects {
		if strings.Contains("\n"+log+"\n", "\n"+s+"\n") {
			preserved++
		} else {
			t.Errorf("human commit %q is not in the history of main", s)
		}
	}
	files := ferrytest.Git(t, bare, "ls-tree", "-r", "--name-only", "main", "notes/")
	if n := len(strings.Fields(files)); n != len(subjects) {
		t.Errorf("main holds %d of the %d files the person added", n, len(subjects))
	}
	tally := ferrytest.Account(accepted, promotions, ferrytest.Log(t, bare, "main"), "dev")
	landed := tally.Committed + tally.Superseded
	fmt.Printf("concurrent-writers: human_commits=%d preserved=%d builds=%d landed=%d\n",
		len(subjects), preserved, tally.Accepted, landed)
	t.Logf("committed=%d superseded=%d lost=%d doubled=%d ferry_push_retries=%d", tally.Committed, tally.Superseded,
		tally.Lost, tally.Doubled, strings.Count(f.Output(), "branch moved under the commit, retrying"))
	for _, p := range tally.Problems {
		t.Error(p)
	}
	if len(subjects) == 0 {
		t.Error("the person pushed nothing")
	}
	if landed != tally.Accepted || tally.Accepted != 60 {
		t.Errorf("landed %d of %d builds (60 sent)", landed, tally.Accepted)
	}
}
