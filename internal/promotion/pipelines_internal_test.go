package promotion

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
)

// catalogOn returns a catalog of the bare repository holding the example
// environments, and a function that commits files to it as a person would.
func catalogOn(t *testing.T) (*catalog, func(files map[string]string) string) {
	t.Helper()
	work := t.TempDir()
	gittest.WriteExample(t, work, "registry.example.com")
	bare := gittest.NewBare(t, work, "Initial environments")
	g, err := gitrepo.Open(gitrepo.Config{URL: bare, Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := newCatalog([]*Repo{{Name: "envs", Branch: "main", PipelineFile: "ferry.yaml", Git: g}}, zap.NewNop(), time.Minute, time.Now)
	push := func(files map[string]string) string {
		for p, content := range files {
			gittest.WriteFile(t, work, p, content)
		}
		gittest.Git(t, work, "add", "-A")
		gittest.Git(t, work, "commit", "-q", "-m", "change")
		gittest.Git(t, work, "push", "-q", bare, "main")
		return gittest.Git(t, work, "rev-parse", "HEAD")
	}
	return c, push
}

// TestPipelineParsedOnlyWhenItsBlobChanges: a refresh after commits that do
// not touch ferry.yaml keeps the parsed pipeline (the same object) and moves
// only the head; a changed ferry.yaml is parsed. Before, every refresh
// re-parsed it, however large.
func TestPipelineParsedOnlyWhenItsBlobChanges(t *testing.T) {
	ctx := context.Background()
	c, push := catalogOn(t)
	c.load(ctx)
	first := c.loaded["envs"]
	if first.pipeline == nil {
		t.Fatalf("pipeline did not load: %v", c.loadErr["envs"].err)
	}
	head := push(map[string]string{"README.md": "unrelated\n"})
	c.load(ctx)
	if got := c.loaded["envs"]; got.pipeline != first.pipeline || got.head != head {
		t.Errorf("after an unrelated commit: pipeline re-parsed=%v, head %s, want the same pipeline at %s", got.pipeline != first.pipeline, got.head, head)
	}

	b, err := c.repos[0].Git.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	src, err := b.ReadFile("ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	push(map[string]string{"ferry.yaml": string(src) + "# a comment changes the blob\n"})
	c.load(ctx)
	if got := c.loaded["envs"]; got.pipeline == first.pipeline {
		t.Error("a changed ferry.yaml was not parsed again")
	}
}

// TestPipelineOverOneMiBRefused: a ferry.yaml over 1 MiB is refused unread
// with the reason, the last good pipeline stays in use, and the refusal is
// counted once however often the branch is refreshed.
func TestPipelineOverOneMiBRefused(t *testing.T) {
	ctx := context.Background()
	c, push := catalogOn(t)
	c.load(ctx)
	good := c.loaded["envs"]
	if good.pipeline == nil {
		t.Fatalf("pipeline did not load: %v", c.loadErr["envs"].err)
	}
	big := "# padding\n" + strings.Repeat("#"+strings.Repeat("x", 1023)+"\n", 1024)
	bad := push(map[string]string{"ferry.yaml": big})
	for range 3 {
		c.load(ctx)
	}
	st := c.statuses()[0]
	want := "ferry.yaml: file is " + strconv.Itoa(len(big)) + " bytes, over the limit of 1048576 bytes (1 MiB)"
	if st.Error != want || st.FailedCommit != bad || st.Commit != good.head {
		t.Errorf("status %+v, want error %q at %s, using %s", st, want, bad, good.head)
	}
	if c.loaded["envs"].pipeline != good.pipeline {
		t.Error("the last good pipeline was dropped")
	}
	if c.failures != 1 {
		t.Errorf("failures = %d after three refreshes of one oversized file, want 1", c.failures)
	}
}
