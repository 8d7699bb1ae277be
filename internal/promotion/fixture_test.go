package promotion_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/scm/builtin"
	"github.com/ferryhq/ferry/internal/store/sqlite"
	"github.com/ferryhq/ferry/internal/supplychain"
)

// git runs the git CLI apart from the machine's configuration.
var git = gittest.Git

// clock is a settable clock for the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// setup changes how newFixture builds its parts.
type setup struct {
	// files replace or add files of the example repo ("" deletes one);
	// "REGISTRY" in their content is replaced by the test registry's host.
	files map[string]string
	cfg   promotion.Config
	now   func() time.Time
	// providers are the Git host providers by repository ("envs").
	providers map[string]promotion.Provider
	// supplyChain verifies signatures; default one on the fixture's
	// registry with no trusted root (key signatures only).
	supplyChain bool
}

// fixture is an engine on real parts: a SQLite store on a temp file, an
// in-process registry and a bare repository seeded from the example repo.
type fixture struct {
	t     *testing.T
	host  string // the registry's host:port, in place of registry.example.com
	bare  string // path of the bare environment repository
	store *sqlite.Store
	reg   *registry.Verifier
	eng   *promotion.Engine
	cfg   promotion.Config
	now   func() time.Time
	prov  map[string]promotion.Provider
	sc    promotion.SupplyChain

	stop func() // stops Run, if started
}

func newFixture(t *testing.T, s setup) *fixture {
	t.Helper()
	f := &fixture{t: t, host: imagetest.Start(t), now: s.now, prov: s.providers}

	work := t.TempDir()
	gittest.WriteExample(t, work, f.host)
	for p, content := range s.files {
		f.writeFile(work, p, content)
	}
	f.bare = gittest.NewBare(t, work, "Initial environments")

	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st

	f.reg, err = registry.New(registry.Config{Hosts: []registry.Host{{Host: f.host, Insecure: true}}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	if s.supplyChain {
		v, err := supplychain.New(f.reg, nil, s.now)
		if err != nil {
			t.Fatalf("supplychain.New: %v", err)
		}
		f.sc = v
	}
	f.cfg = s.cfg
	if f.cfg.PollInterval == 0 {
		f.cfg.PollInterval = 20 * time.Millisecond
	}
	if f.cfg.Lease == 0 {
		f.cfg.Lease = 30 * time.Second
	}
	f.eng = f.newEngine()
	t.Cleanup(func() {
		if f.stop != nil {
			f.stop()
		}
	})
	return f
}

// newEngine returns a new engine on the fixture's store and repository, with
// its own Git clone: what a restarted process has.
func (f *fixture) newEngine() *promotion.Engine {
	f.t.Helper()
	g, err := gitrepo.Open(gitrepo.Config{URL: f.bare, Timeout: 5 * time.Second}, zaptest.NewLogger(f.t))
	if err != nil {
		f.t.Fatalf("gitrepo.Open: %v", err)
	}
	return promotion.New(f.cfg, promotion.Deps{
		Store:       f.store,
		Registry:    f.reg,
		Repos:       []*promotion.Repo{{Name: "envs", Branch: "main", PipelineFile: "ferry.yaml", Git: g}},
		Providers:   f.prov,
		Builtin:     builtin.Providers(f.store, "", zaptest.NewLogger(f.t)),
		SupplyChain: f.sc,
		Log:         zaptest.NewLogger(f.t),
		Now:         f.now,
	})
}

// run starts the engine's worker until the test ends or stop is called.
func (f *fixture) run() {
	f.t.Helper()
	if f.stop != nil {
		f.t.Fatal("worker already running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.eng.Run(ctx)
	}()
	f.stop = func() {
		cancel()
		<-done
		f.stop = nil
	}
}

func (f *fixture) writeFile(dir, p, content string) {
	f.t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if content == "" {
		if err := os.Remove(full); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	content = strings.ReplaceAll(content, "REGISTRY", f.host)
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// push pushes a random image to the test registry and returns its digest.
func (f *fixture) push(repo, tag string) string {
	f.t.Helper()
	return imagetest.PushImage(f.t, f.host, repo, tag).String()
}

// image is the full repository of an example application's image.
func (f *fixture) image(app string) string { return f.host + "/acme/" + app }

// build is a complete build report of app at tag.
func (f *fixture) build(app, tag string) promotion.Build {
	return promotion.Build{
		Application:  app,
		Image:        f.image(app),
		Tag:          tag,
		SourceRepo:   "https://git.example.com/acme/" + app,
		SourceCommit: "0123456789abcdef0123456789abcdef01234567",
		SourceBranch: "main",
		CIRunURL:     "https://ci.example.com/acme/" + app + "/runs/" + tag,
	}
}

var ci = promotion.Actor{Name: "ci", Applications: []string{"*"}}

// report pushes app:tag to the registry and reports it as CI would.
func (f *fixture) report(app, tag string) promotion.Reported {
	f.t.Helper()
	f.push("acme/"+app, tag)
	r, err := f.eng.ReportBuild(context.Background(), f.build(app, tag), ci)
	if err != nil {
		f.t.Fatalf("ReportBuild(%s %s): %v", app, tag, err)
	}
	return r
}

// wait waits for a promotion to be terminal.
func (f *fixture) wait(id string) promotion.Promotion {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, err := f.eng.Wait(ctx, id)
	if err != nil {
		f.t.Fatalf("Wait(%s): %v", id, err)
	}
	if !p.State.Terminal() {
		f.t.Fatalf("promotion %s still %s after 15s: %s", id, p.State, p.Reason)
	}
	return p
}

// promotion reads a promotion from the store.
func (f *fixture) promotion(id string) promotion.Promotion {
	f.t.Helper()
	p, err := f.store.GetPromotion(context.Background(), id)
	if err != nil {
		f.t.Fatalf("GetPromotion(%s): %v", id, err)
	}
	return p
}

// promotionsOf lists a release's promotions, by environment.
func (f *fixture) promotionsOf(releaseID string) map[string][]promotion.Promotion {
	f.t.Helper()
	page, err := f.store.ListPromotions(context.Background(), promotion.PromotionFilter{ReleaseID: releaseID, Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string][]promotion.Promotion{}
	for _, p := range page.Items {
		out[p.Environment] = append(out[p.Environment], p)
	}
	return out
}

// git runs the git CLI on the bare repository.
func (f *fixture) git(args ...string) string {
	f.t.Helper()
	return git(f.t, f.bare, args...)
}

func (f *fixture) head() string { return f.git("rev-parse", "main") }

func (f *fixture) commitCount() string { return f.git("rev-list", "--count", "main") }

// trailers returns the trailers of commit rev as git parses them.
func (f *fixture) trailers(rev string) map[string][]string {
	f.t.Helper()
	out := map[string][]string{}
	for _, line := range strings.Split(f.git("log", "-1", "--format=%(trailers:only,unfold)", rev), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if ok {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// humanPush commits files to main from a clone, as a person would, and
// returns the new head.
func (f *fixture) humanPush(msg string, files map[string]string) string {
	f.t.Helper()
	work := f.t.TempDir()
	git(f.t, "", "clone", "-q", "-b", "main", "file://"+f.bare, work)
	for p, c := range files {
		f.writeFile(work, p, c)
	}
	git(f.t, work, "add", "-A")
	git(f.t, work, "commit", "-q", "-m", msg)
	git(f.t, work, "push", "-q", "origin", "main")
	return git(f.t, work, "rev-parse", "HEAD")
}

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
