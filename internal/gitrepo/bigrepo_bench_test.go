package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkCommitBigRepo is BenchmarkCommit on the big repositories of the
// performance suite (test/bench, scenario bigrepo): 20,000 files with 1,000
// and with 10,000 commits, to see whether one update costs more with a
// longer history. Profile it with -cpuprofile to see where an update goes.
func BenchmarkCommitBigRepo(b *testing.B) {
	for _, commits := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("commits=%d", commits), func(b *testing.B) { benchCommitBig(b, commits) })
	}
}

func benchCommitBig(b *testing.B, commits int) {
	bare := genBare(b, 20000, commits)
	r, err := Open(Config{URL: bare}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	edit := func(n int) func(Snapshot) (Change, error) {
		return func(s Snapshot) (Change, error) {
			p := fmt.Sprintf("envs/env%d/app%04d/kustomization.yaml", n%4, n%20000)
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
