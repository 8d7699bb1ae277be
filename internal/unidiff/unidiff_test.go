package unidiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gitDiff is what `git diff --no-index` says about the same change, with
// the header lines Diff does not write and hunk headings' section names
// taken out.
func gitDiff(t *testing.T, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	for name, s := range map[string]string{"a": old, "b": new} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "f.yaml"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("git", "diff", "--no-index", "--no-color", "a/f.yaml", "b/f.yaml")
	cmd.Dir = dir
	out, _ := cmd.Output() // exit status 1: the files differ
	return normalize(string(out))
}

var heading = regexp.MustCompile(`(?m)^(@@ [^@]+ @@).*$`)

// normalize keeps from the "---" line on, drops hunk headings' context
// and the directories a/ and b/ the two files sit in.
func normalize(d string) string {
	if i := strings.Index(d, "--- "); i >= 0 {
		d = d[i:]
	}
	d = strings.NewReplacer("--- a/a/", "--- a/", "+++ b/b/", "+++ b/").Replace(d)
	return heading.ReplaceAllString(d, "$1")
}

func TestDiffMatchesGit(t *testing.T) {
	long := strings.Repeat("line\n", 20)
	cases := map[string][2]string{
		"one line":            {"a: 1\nimage: x:1\nb: 2\n", "a: 1\nimage: x:2\nb: 2\n"},
		"two far hunks":       {"image: x:1\n" + long + "other: x:1\n", "image: x:2\n" + long + "other: x:2\n"},
		"two near hunks":      {"image: x:1\nq\nr\ns\nt\nu\nother: x:1\n", "image: x:2\nq\nr\ns\nt\nu\nother: x:2\n"},
		"added lines":         {"images:\n- name: a\n", "images:\n- name: a\n  digest: sha256:1\n- name: b\n"},
		"new file":            {"", "a: 1\n"},
		"no final newline":    {"a: 1\nb: 2", "a: 1\nb: 3"},
		"newline added":       {"a: 1\nb: 2", "a: 1\nb: 2\n"},
		"middle of long file": {long + "image: x:1\n" + long, long + "image: x:2\n" + long},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := Diff("f.yaml", []byte(c[0]), []byte(c[1]))
			if want := gitDiff(t, c[0], c[1]); got != want {
				t.Errorf("Diff:\n%s\ngit diff:\n%s", got, want)
			}
		})
	}
}

func TestDiffOfEqualTextsIsEmpty(t *testing.T) {
	if d := Diff("f", []byte("a\n"), []byte("a\n")); d != "" {
		t.Errorf("Diff = %q, want empty", d)
	}
}
