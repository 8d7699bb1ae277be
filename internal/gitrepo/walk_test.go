package gitrepo

import (
	"context"
	"fmt"
	"testing"
)

func TestWalk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	var shas []string
	for i := 1; i <= 3; i++ {
		msg := fmt.Sprintf("Promote app %d\n\nFerry-Release: rel-%d\nFerry-Promotion: p-%d\n", i, i, i)
		res, err := r.Commit(ctx, "main", setFiles(msg, map[string]string{"ferry.yaml": fmt.Sprint(i)}))
		if err != nil {
			t.Fatal(err)
		}
		shas = append([]string{res.SHA}, shas...)
	}
	s, err := r.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}

	var got []CommitInfo
	if err := s.Walk(10, func(c CommitInfo) bool { got = append(got, c); return true }); err != nil {
		t.Fatal(err)
	}
	// The three Ferry commits, then the shallow clone's first commit.
	if len(got) != 4 {
		t.Fatalf("Walk visited %d commits, want 4", len(got))
	}
	for i, sha := range shas {
		if got[i].SHA != sha {
			t.Errorf("commit %d = %s, want %s", i, got[i].SHA, sha)
		}
		n := 3 - i
		if want := fmt.Sprintf("Promote app %d\n\nFerry-Release: rel-%d\nFerry-Promotion: p-%d\n", n, n, n); got[i].Message != want {
			t.Errorf("commit %d message = %q, want %q", i, got[i].Message, want)
		}
		if got[i].When.IsZero() {
			t.Errorf("commit %d has no time", i)
		}
	}
	if got[3].Message != "Initial environments\n" {
		t.Errorf("first commit = %+v", got[3])
	}

	var n int
	s.Walk(2, func(CommitInfo) bool { n++; return true })
	if n != 2 {
		t.Errorf("Walk(2) visited %d", n)
	}
	n = 0
	s.Walk(10, func(CommitInfo) bool { n++; return false })
	if n != 1 {
		t.Errorf("Walk stopping at once visited %d", n)
	}

	// A fresh shallow clone holds only the head.
	fresh, err := openRepo(t, Config{URL: bare}).Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	fresh.Walk(10, func(CommitInfo) bool { n++; return true })
	if n != 1 {
		t.Errorf("fresh clone walked %d commits, want 1 (depth 1)", n)
	}
}
