package manifest

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCorpus edits realistic files in the styles of public charts and example
// repositories and checks, like git diff --numstat, that exactly the intended
// lines changed and nothing else.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob("testdata/corpus/*/input.yaml")
	if err != nil || len(cases) < 6 {
		t.Fatalf("want at least 6 corpus files, got %d (%v)", len(cases), err)
	}
	for _, in := range cases {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			a := readArgs(t, filepath.Join(dir, "args"))
			if len(a.changed) == 0 {
				t.Fatal("args lists no changed= lines")
			}
			src := mustRead(t, in)
			out, changed, err := Set(in, src, a.target, a.img)
			if err != nil || !changed {
				t.Fatalf("Set: changed=%v err=%v", changed, err)
			}
			before, after := strings.SplitAfter(string(src), "\n"), strings.SplitAfter(string(out), "\n")
			if len(before) != len(after) {
				t.Fatalf("line count changed: %d → %d", len(before), len(after))
			}
			var diff []int
			for i := range before {
				if before[i] != after[i] {
					diff = append(diff, i+1)
					if !strings.Contains(after[i], a.img.Tag) && !strings.Contains(after[i], a.img.Digest) {
						t.Errorf("line %d changed to %q, which holds nothing written", i+1, after[i])
					}
				}
			}
			if !slices.Equal(diff, a.changed) {
				t.Errorf("changed lines %v, want %v", diff, a.changed)
			}
			checkOnlyValuesChanged(t, src, out, a.img)
			img, err := Get(in, out, a.target)
			if err != nil || img.Tag != a.img.Tag || img.Digest != a.img.Digest {
				t.Errorf("Get = %v, %v", img, err)
			}
			if again, changed, err := Set(in, out, a.target, a.img); err != nil || changed || !bytes.Equal(again, out) {
				t.Errorf("second Set: changed=%v err=%v", changed, err)
			}
		})
	}
}
