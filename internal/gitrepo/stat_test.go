package gitrepo

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// TestStat: Stat names a file's blob (as git does) and its size without
// reading it, refuses what ReadFile refuses, and a changed file gets a new
// blob id while an unchanged one keeps its id across commits.
func TestStat(t *testing.T) {
	t.Parallel()
	bare := newBare(t, map[string]string{"ferry.yaml": "environments: []\n", "other": "x\n", "link": "symlink:ferry.yaml"})
	r := openRepo(t, Config{URL: bare})
	s, err := r.Read(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat("ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := git(t, bare, "rev-parse", "main:ferry.yaml"); st.Blob != want || st.Size != int64(len("environments: []\n")) {
		t.Errorf("Stat = %+v, want blob %s size %d", st, want, len("environments: []\n"))
	}
	if _, err := s.Stat("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Stat("link"); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("Stat(link) = %v, want ErrUnsafePath", err)
	}

	humanPush(t, bare, "main", map[string]string{"other": strings.Repeat("y", 10) + "\n"}, "touch other")
	s2, err := r.Read(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if st2, err := s2.Stat("ferry.yaml"); err != nil || st2.Blob != st.Blob || s2.Head() == s.Head() {
		t.Errorf("after an unrelated commit: Stat = %+v, %v (head %s → %s), want blob %s", st2, err, s.Head(), s2.Head(), st.Blob)
	}
	if st3, err := s2.Stat("other"); err != nil || st3.Size != 11 {
		t.Errorf("Stat(other) = %+v, %v, want size 11", st3, err)
	}
}
