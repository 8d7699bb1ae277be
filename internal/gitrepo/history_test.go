package gitrepo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pushCommits pushes n commits to main of bare, each touching one file and
// carrying the trailer "Ferry-Promotion: p-<i>", with committer times one
// second apart, and returns their SHAs newest first.
func pushCommits(tb testing.TB, bare string, n int) []string {
	tb.Helper()
	work := tb.TempDir()
	git(tb, "", "clone", "-q", "--depth", "1", "file://"+bare, work)
	base := time.Now().Add(-time.Duration(n) * time.Second)
	for i := 1; i <= n; i++ {
		if err := os.WriteFile(filepath.Join(work, "counter"), []byte(fmt.Sprint(i)), 0o644); err != nil {
			tb.Fatal(err)
		}
		date := base.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		cmd := exec.Command("git", "commit", "-q", "-a", "--allow-empty", "-m", fmt.Sprintf("Commit %d\n\nFerry-Promotion: p-%d", i, i))
		if i == 1 {
			cmd = exec.Command("sh", "-c", "git add counter && git commit -q -m \"$0\"", fmt.Sprintf("Commit %d\n\nFerry-Promotion: p-%d", i, i))
		}
		cmd.Dir = work
		cmd.Env = append(os.Environ(), append(gitEnv, "GIT_COMMITTER_DATE="+date)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("committing %d: %v\n%s", i, err, out)
		}
	}
	git(tb, work, "push", "-q", "origin", "main")
	return strings.Fields(git(tb, work, "rev-list", "--max-count", fmt.Sprint(n), "main"))
}

func TestHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	before, err := r.Read(ctx, "main") // the writer's shallow clone starts here
	if err != nil {
		t.Fatal(err)
	}
	shas := pushCommits(t, bare, 80) // newest first
	all := append(slices.Clone(shas), before.Head())

	for _, tc := range []struct {
		name   string
		max    int
		stopAt int // fn returns false on this commit (1-based); 0: never
		want   []string
	}{
		{name: "whole history", max: 500, want: all},
		{name: "bounded by max within the first fetch", max: 10, want: all[:10]},
		{name: "bounded by max after deepening", max: 50, want: all[:50]},
		{name: "stopped by fn after deepening", max: 500, stopAt: 40, want: all[:40]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := r.History(ctx, "main", tc.max, func(c CommitInfo) bool {
				got = append(got, c.SHA)
				n := len(got)
				if i := len(all) - n; i > 0 && !strings.HasSuffix(c.Message, fmt.Sprintf("\nFerry-Promotion: p-%d\n", i)) {
					t.Errorf("commit %d message = %q", n, c.Message)
				}
				return n != tc.stopAt
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("visited %d commits, want %d\ngot  %v\nwant %v", len(got), len(tc.want), got, tc.want)
			}
		})
	}

	// The writer's clone stays shallow: its walk starts at its first fetch.
	s, err := r.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var local []string
	if err := s.Walk(500, func(c CommitInfo) bool { local = append(local, c.SHA); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(local, all) {
		t.Errorf("writer's walk after its first fetch = %d commits, want all %d pushed since", len(local), len(all))
	}
	r2 := openRepo(t, Config{URL: bare})
	s2, err := r2.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	s2.Walk(500, func(CommitInfo) bool { n++; return true })
	if n != 1 {
		t.Errorf("a fresh writer walks %d commits, want 1 (depth-1 clone)", n)
	}
}

func TestHistoryMissingBranch(t *testing.T) {
	t.Parallel()
	r := openRepo(t, Config{URL: newBare(t, envFiles())})
	n := 0
	if err := r.History(context.Background(), "nope", 10, func(CommitInfo) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("visited %d commits of a missing branch", n)
	}
	if err := r.History(context.Background(), "bad:name", 10, func(CommitInfo) bool { return true }); err == nil {
		t.Error("History accepted an invalid branch name")
	}
}

// TestHistoryDuringCommit: History may run inside a build function, while
// Commit holds the repository.
func TestHistoryDuringCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	if _, err := r.Read(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	shas := pushCommits(t, bare, 3)
	var found string
	_, err := r.Commit(ctx, "main", func(s Snapshot) (Change, error) {
		err := r.History(ctx, "main", 10, func(c CommitInfo) bool {
			if strings.HasSuffix(c.Message, "\nFerry-Promotion: p-1\n") {
				found = c.SHA
				return false
			}
			return true
		})
		return Change{}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if found != shas[2] {
		t.Errorf("found p-1 at %q, want %s", found, shas[2])
	}
}
