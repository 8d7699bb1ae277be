package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// genBare makes a bare repository with files YAML files spread over
// envs/<env>/<app>/ and commits commits, with git fast-import.
func genBare(b *testing.B, files, commits int) string {
	b.Helper()
	bare := filepath.Join(b.TempDir(), "big.git")
	git(b, "", "init", "-q", "--bare", "-b", "main", bare)
	var s bytes.Buffer
	data := func(text string) { fmt.Fprintf(&s, "data %d\n%s\n", len(text), text) }
	path := func(i int) string { return fmt.Sprintf("envs/env%d/app%04d/kustomization.yaml", i%4, i) }
	content := func(i, v int) string {
		return fmt.Sprintf("images:\n  - name: ghcr.io/acme/app%04d\n    newTag: \"1.0.%d\"\n", i, v)
	}
	for c := 0; c < commits; c++ {
		fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Gen <gen@example.com> %d +0000\n", 1700000000+c*60)
		data(fmt.Sprintf("commit %d\n\nFerry-Release: r%d\n", c, c))
		if c == 0 {
			for i := 0; i < files; i++ {
				fmt.Fprintf(&s, "M 100644 inline %s\n", path(i))
				data(content(i, 0))
			}
			continue
		}
		i := (c * 7) % files
		fmt.Fprintf(&s, "M 100644 inline %s\n", path(i))
		data(content(i, c))
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = bare
	cmd.Env = append(cmd.Environ(), gitEnv...)
	cmd.Stdin = &s
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v\n%s", err, out)
	}
	return bare
}

// BenchmarkCommit measures one Commit: fetch, read and edit one file, write
// the commit, push. The in-memory clone is re-made every 200 commits, as in
// production, and that cost is part of the average.
func BenchmarkCommit(b *testing.B) { benchCommit(b, 2000, 500) }

// benchCommit measures one Commit to a repository of files files and
// commits commits made by genBare.
func benchCommit(b *testing.B, files, commits int) {
	bare := genBare(b, files, commits)
	r, err := Open(Config{URL: bare}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	edit := func(n int) func(Snapshot) (Change, error) {
		return func(s Snapshot) (Change, error) {
			p := fmt.Sprintf("envs/env%d/app%04d/kustomization.yaml", n%4, n%files)
			old, err := s.ReadFile(p)
			if err != nil {
				return Change{}, err
			}
			nu := append(bytes.TrimRight(old, "\n"), fmt.Sprintf("\n# bench %d\n", n)...)
			return Change{Message: fmt.Sprintf("Bench %d\n\nFerry-Release: b%d\n", n, n), Files: map[string][]byte{p: nu}}, nil
		}
	}
	if _, err := r.Commit(ctx, "main", edit(0)); err != nil { // first clone, outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		res, err := r.Commit(ctx, "main", edit(i))
		if err != nil {
			b.Fatal(err)
		}
		if !res.Changed {
			b.Fatal("nothing committed")
		}
	}
}
