// Package gitea runs the promotion flow against a real Gitea server built
// from source (.ci/gitea.sh): the real ferry binary opens, updates, merges
// and closes pull requests there, real users review them, and Gitea's own
// webhooks tell Ferry what happened.
package gitea

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/test/ferrytest"
)

// ferryBin is the ferry binary, built once for the package.
var ferryBin string

// host is the Gitea server every test shares (each test gets its own
// repository and its own ferry); nil when hostErr says why it is missing.
// noBinary says there is no Gitea binary at all (a skip outside CI); a
// binary that does not start fails every test.
var (
	host     *server
	hostErr  error
	noBinary bool
)

// TestMain builds ferry with the race detector, starts Gitea, runs the
// tests, stops Gitea by its PID and prints the tally.
func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "ferry-gitea-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if bin, err := giteaBinary(); err != nil {
			hostErr, noBinary = err, true
		} else if host, err = startServer(bin, dir); err != nil {
			hostErr = err
		}
		if host != nil {
			defer host.stop()
		}
		if host != nil {
			// Build ferry only when some test can use it.
			if ferryBin, err = buildFerry(dir); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		code := m.Run()
		if host != nil {
			fmt.Println(tally.line(host.Version))
			fmt.Println(health.line())
		}
		return code
	}()
	os.Exit(code)
}

// needHost skips the test without a Gitea binary, except under CI=true,
// where a missing Gitea fails it: CI never skips this suite.
func needHost(t *testing.T) {
	t.Helper()
	if host != nil {
		return
	}
	if !noBinary {
		t.Fatalf("starting Gitea: %v", hostErr)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Gitea is required with CI=true: %v", hostErr)
	}
	t.Skipf("no Gitea: %v", hostErr)
}

// counts is what the suite saw, printed as one line at the end.
type counts struct {
	mu sync.Mutex
	// runs is the number of cases run, prs the pull requests Ferry opened,
	// merged those merged on Gitea.
	runs, prs, merged int
	// uncounted is approvals that must not count and did not;
	// wrongly those that must not count and did (self among them: the PR's
	// author, the promotion's requester or whoever forced it).
	uncounted, wrongly, self int
	// stale is pull requests of a rolled-back release left open; race is
	// Ferry's pull requests closed by Ferry's own branch handling.
	stale, race int
}

var tally counts

func (c *counts) add(f func(c *counts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

func (c *counts) line(version string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("gitea: version=%s runs=%d prs=%d merged=%d uncounted_approvals=%d wrongly_counted=%d self_approvals_counted=%d stale_prs_after_rollback=%d closed_by_ferry_race=%d",
		version, c.runs, c.prs, c.merged, c.uncounted, c.wrongly, c.self, c.stale, c.race)
}

// buildFerry builds the ferry binary with the race detector into dir.
func buildFerry(dir string) (string, error) { return ferrytest.BuildBinary(dir, "-race") }
