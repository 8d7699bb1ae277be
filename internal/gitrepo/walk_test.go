package gitrepo

import (
	"context"
	"fmt"
	"reflect"
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
		want := map[string][]string{"Ferry-Release": {fmt.Sprintf("rel-%d", n)}, "Ferry-Promotion": {fmt.Sprintf("p-%d", n)}}
		if !reflect.DeepEqual(got[i].Trailers, want) {
			t.Errorf("commit %d trailers = %v, want %v", i, got[i].Trailers, want)
		}
		if got[i].When.IsZero() {
			t.Errorf("commit %d has no time", i)
		}
	}
	if got[3].Message != "Initial environments\n" || got[3].Trailers != nil {
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

func TestParseTrailers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg string
		want      map[string][]string
	}{
		{"subject only", "Promote app\n", nil},
		{"subject that looks like a trailer", "Ferry-Release: r1\n", nil},
		{"trailers after the subject", "Promote\n\nFerry-Release: r1\nFerry-Digest: sha256:ab\n",
			map[string][]string{"Ferry-Release": {"r1"}, "Ferry-Digest": {"sha256:ab"}}},
		{"body then trailers", "Promote\n\nSome body text.\nMore: not a trailer block below\n\nA: 1\nB: 2",
			map[string][]string{"A": {"1"}, "B": {"2"}}},
		{"repeated key", "s\n\nCo-authored-by: a\nCo-authored-by: b\n", map[string][]string{"Co-authored-by": {"a", "b"}}},
		{"last paragraph is prose", "s\n\nA: 1\n\nJust prose here.\n", nil},
		{"mixed block without git trailer", "s\n\nA: 1\nnot a trailer\n", nil},
		{"mixed block with Signed-off-by", "s\n\nA: 1\nSigned-off-by: x <x@y>\nnot a trailer\n",
			map[string][]string{"A": {"1"}, "Signed-off-by": {"x <x@y>"}}},
		{"continuation line", "s\n\nNote: first\n  second\nB: 2\n", map[string][]string{"Note": {"first second"}, "B": {"2"}}},
		{"space before colon", "s\n\nKey : v\n", map[string][]string{"Key": {"v"}}},
		{"key with space is not a trailer", "s\n\nNot a key: v\n", nil},
		{"trailing blank lines", "s\n\nA: 1\n\n\n", map[string][]string{"A": {"1"}}},
		{"CRLF", "s\r\n\r\nA: 1\r\n", map[string][]string{"A": {"1"}}},
		{"patch separator", "s\n\nA: 1\n---\n diff\n", map[string][]string{"A": {"1"}}},
		{"url value", "s\n\nFerry-CI: https://ci.example/run/1\n", map[string][]string{"Ferry-CI": {"https://ci.example/run/1"}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseTrailers(tt.msg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTrailers(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}
