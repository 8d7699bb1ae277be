package render

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// countingFiles counts the directories listed and the files read.
type countingFiles struct {
	Files
	mu     sync.Mutex
	listed map[string]int
	read   int
}

func (c *countingFiles) ReadDir(p string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	c.listed[p]++
	c.mu.Unlock()
	return c.Files.ReadDir(p)
}

func (c *countingFiles) ReadFile(p string) ([]byte, error) {
	c.mu.Lock()
	c.read++
	c.mu.Unlock()
	return c.Files.ReadFile(p)
}

// TestVerifyDoesNotLoadWideDirectoriesAbove: verifying one application's
// overlay among many (envs/dev/<app>, thousands of siblings in a large
// environment repository) lists the overlay and the base it names, not the
// directories above them with every sibling in them, and does not look up
// again the files of a directory it has listed. Before, each of the two
// renders per promotion copied envs/dev whole: a third of ferry's CPU in
// the 10,000-build benchmark.
func TestVerifyDoesNotLoadWideDirectoriesAbove(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ferry.yaml", "environments: []\n")
	write("base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: app, image: ghcr.io/acme/app}\n")
	write("base/kustomization.yaml", "resources: [deployment.yaml]\n")
	for i := range 300 {
		write(fmt.Sprintf("envs/dev/app%03d/kustomization.yaml", i), "resources: [../../../base]\nimages:\n  - name: ghcr.io/acme/app\n    newTag: \"1.0.0\"\n")
	}
	files := &countingFiles{Files: dirFiles{os.DirFS(root)}, listed: map[string]int{}}
	app := &config.Application{Name: "app", Image: "ghcr.io/acme/app"}
	target := config.Target{Kind: "kustomize", Path: "envs/dev/app042/kustomization.yaml"}
	src, err := files.Files.ReadFile(target.Path)
	if err != nil {
		t.Fatal(err)
	}
	img := manifest.Image{Repository: app.Image, Tag: "2.0.0", Digest: testDigest}
	out, _, err := manifest.Set(target.Path, src, manifest.Target{Kind: manifest.Kustomize, Image: app.Image}, img)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := New().Verify(files, nil, app, target, out, img)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Images != 1 {
		t.Errorf("verified %d containers, want 1", rep.Images)
	}
	for _, wide := range []string{"envs/dev", "envs", "."} {
		if n := files.listed[wide]; n != 0 {
			t.Errorf("listed %q %d times, want never (listed: %v)", wide, n, files.listed)
		}
	}
	// Files in a directory already in memory are not looked up again in
	// the source: in a Git snapshot each lookup decodes every tree above.
	for p := range files.listed {
		if p != "base" && p != "envs/dev/app042" {
			t.Errorf("asked the source to list %q; want only the overlay's and the base's directories (listed: %v)", p, files.listed)
		}
	}
	if files.read > 10 {
		t.Errorf("read %d files for two renders of one overlay and its base, want at most 10", files.read)
	}
}
