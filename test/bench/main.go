// Command bench is Ferry's performance suite (issue 7): each scenario runs
// the real ferry binary and, where there is one, the baseline a team would
// write instead (a shell script driving the git CLI) on this machine in the
// same run, then prints a Markdown table and one machine-readable line per
// scenario:
//
//	bench: scenario=<name> ferry=<value><unit> baseline=<value><unit> ratio=<r> commits=<n>
//
// The ratio is always oriented so that above 1 means Ferry is better:
// baseline/ferry for times, ferry/baseline for throughputs.
//
// Usage: go run ./test/bench [-scale full|smoke] [-only single,burst,...]
//
// Everything listens on 127.0.0.1; loads are bounded in count and time.
// PostgreSQL history runs when FERRY_TEST_POSTGRES_DSN is set.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// scale sizes every scenario.
type scale struct {
	name                                  string
	singleBuilds, singleFarBuilds         int
	burstFarCap                           time.Duration
	burst10kBuilds, burst10kApps          int
	hugeFiles, hugeCommits                int
	reconcilePRs                          int
	reconcileInterval                     time.Duration
	burstBuilds, burstApps, burstClients  int
	burstBaselineCap                      time.Duration
	bigFiles, bigCommits, bigSmallCommits int
	bigUpdates                            int
	historyRows, historyQueries           int
	doraQueries                           int
	frontDuration                         time.Duration
	frontClients                          int
	intakeReports, intakeClients          int
	// judge holds the results to their targets; smoke runs are too small.
	judge bool
}

var scales = map[string]scale{
	"full": {
		name: "full", singleBuilds: 200, singleFarBuilds: 100,
		burstBuilds: 1000, burstApps: 200, burstClients: 50, burstBaselineCap: 2 * time.Minute, burstFarCap: 2 * time.Minute,
		burst10kBuilds: 10000, burst10kApps: 2000,
		hugeFiles: 100_000, hugeCommits: 20_000,
		reconcilePRs: 200, reconcileInterval: 5 * time.Second,
		bigFiles: 20000, bigCommits: 10000, bigSmallCommits: 1000, bigUpdates: 20,
		historyRows: 1_000_000, historyQueries: 2000, doraQueries: 200,
		frontDuration: 10 * time.Second, frontClients: 32,
		intakeReports: 20000, intakeClients: 64, judge: true,
	},
	"smoke": {
		name: "smoke", singleBuilds: 5, singleFarBuilds: 2,
		burstBuilds: 40, burstApps: 20, burstClients: 5, burstBaselineCap: 8 * time.Second, burstFarCap: 2 * time.Second,
		burst10kBuilds: 150, burst10kApps: 30,
		hugeFiles: 3000, hugeCommits: 50,
		reconcilePRs: 10, reconcileInterval: time.Second,
		bigFiles: 1000, bigCommits: 200, bigSmallCommits: 20, bigUpdates: 3,
		historyRows: 10_000, historyQueries: 60, doraQueries: 24,
		frontDuration: time.Second, frontClients: 8,
		intakeReports: 400, intakeClients: 16,
	},
}

// env is what every scenario shares.
type env struct {
	sc      scale
	bin     string
	reg     *registry
	scripts scripts
	tmp     string
	seq     int
}

// dir returns a fresh directory for one part of a scenario.
func (e *env) dir(name string) (string, error) {
	e.seq++
	d := filepath.Join(e.tmp, fmt.Sprintf("%02d-%s", e.seq, name))
	return d, os.MkdirAll(d, 0o755)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

type scenario struct {
	name string
	run  func(ctx context.Context, e *env) []result
}

var scenarios = []scenario{
	{"single", runSingle},
	{"single-rtt40", runSingleRTT40},
	{"burst", runBurst},
	{"burst-rtt40", runBurstRTT40},
	{"burst-10k", runBurst10k},
	{"bigrepo", runBigRepo},
	{"bigrepo-100k", runBigRepo100k},
	{"reconcile", runReconcile},
	{"history", runHistory},
	{"dora", runDora},
	{"frontdoor", runFrontDoor},
	{"intake", runIntake},
}

func main() {
	scaleName := flag.String("scale", "full", "full (make bench) or smoke (make bench-smoke)")
	only := flag.String("only", "", "comma-separated scenarios to run (default all): "+names())
	keep := flag.Bool("keep", false, "keep the temporary directory (repos, ferry logs)")
	flag.Parse()
	sc, ok := scales[*scaleName]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown -scale %q\n", *scaleName)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, sc, *only, *keep))
}

func names() string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return strings.Join(n, ",")
}

func run(ctx context.Context, sc scale, only string, keep bool) int {
	began := time.Now()
	tmp, err := os.MkdirTemp("", "ferry-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	e := &env{sc: sc, tmp: tmp}
	logf("building ferry")
	if e.bin, err = buildFerry(ctx, tmp); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if e.reg, err = startRegistry(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: starting registry:", err)
		return 1
	}
	defer e.reg.close()
	if e.scripts, err = writeScripts(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	var want []string
	if only != "" {
		want = strings.Split(only, ",")
	}
	var results []result
	for _, s := range scenarios {
		if want != nil && !slices.Contains(want, s.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		logf("scenario %s (%s)", s.name, sc.name)
		t0 := time.Now()
		rs := s.run(ctx, e)
		if !sc.judge {
			for i := range rs {
				rs[i].target = "not judged at this scale (" + rs[i].target + ")"
			}
		}
		for _, r := range rs {
			fmt.Println(r.line())
		}
		logf("scenario %s took %s", s.name, time.Since(t0).Round(time.Second))
		results = append(results, rs...)
	}
	fmt.Printf("\nFerry benchmark suite, scale %s, %s, %d results in %s\n\n", sc.name, time.Now().UTC().Format("2006-01-02"), len(results), time.Since(began).Round(time.Second))
	printTable(os.Stdout, results)
	fmt.Println()
	failed := 0
	for _, r := range results {
		fmt.Println(r.line())
		if r.err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d scenario(s) failed\n", failed)
		return 1
	}
	return 0
}

// fail is a result carrying an error.
func fail(name string, err error) []result {
	return []result{{scenario: name, err: err}}
}
