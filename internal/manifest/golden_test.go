package manifest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// caseArgs reads a testdata/<case>/args file: key=value lines naming the
// target and the reference to write.
type caseArgs struct {
	target  Target
	img     Image
	getRepo string // what Get reports as repository, when not img.Repository
	changed []int  // corpus: the 1-based lines that may change
}

func readArgs(t *testing.T, path string) caseArgs {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a caseArgs
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "kind":
			a.target.Kind = Kind(v)
		case "image":
			a.target.Image = v
		case "name":
			a.target.Name = v
		case "repository-path":
			a.target.RepositoryPath = v
		case "tag-path":
			a.target.TagPath = v
		case "digest-path":
			a.target.DigestPath = v
		case "registry-path":
			a.target.RegistryPath = v
		case "get-repo":
			a.getRepo = v
		case "ref":
			a.img, err = ParseImage(v)
			if err != nil {
				t.Fatal(err)
			}
		case "changed":
			for _, s := range strings.Split(v, ",") {
				var n int
				for _, c := range s {
					n = n*10 + int(c-'0')
				}
				a.changed = append(a.changed, n)
			}
		default:
			t.Fatalf("%s: unknown key %q", path, k)
		}
	}
	return a
}

func TestGolden(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob("testdata/*/expected.yaml")
	if err != nil || len(cases) < 20 {
		t.Fatalf("want at least 20 golden cases, got %d (%v)", len(cases), err)
	}
	for _, exp := range cases {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			a := readArgs(t, filepath.Join(dir, "args"))
			input := mustRead(t, filepath.Join(dir, "input.yaml"))
			want := mustRead(t, exp)
			name := filepath.Join(dir, "input.yaml")

			got, changed, err := Set(name, input, a.target, a.img)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Set output differs from expected.yaml:\n%s", lineDiff(want, got))
			}
			if changed != !bytes.Equal(input, want) {
				t.Errorf("changed = %v, want %v", changed, !changed)
			}

			// Idempotent: a second Set is a no-op with identical bytes.
			again, changed, err := Set(name, got, a.target, a.img)
			if err != nil || changed || !bytes.Equal(again, got) {
				t.Errorf("second Set: changed=%v err=%v, bytes equal=%v", changed, err, bytes.Equal(again, got))
			}

			// Get reads back what was written.
			img, err := Get(name, got, a.target)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			wantRepo := a.img.Repository
			if a.getRepo != "" {
				wantRepo = a.getRepo
			}
			if img.Tag != a.img.Tag || img.Digest != a.img.Digest || !sameRepo(img.Repository, wantRepo) {
				t.Errorf("Get = %v, want %s:%s@%s", img, wantRepo, a.img.Tag, a.img.Digest)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lineDiff lists the lines that differ, for failure messages.
func lineDiff(want, got []byte) string {
	w, g := strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + strconv.Quote(wl) + "\n  got  " + strconv.Quote(gl) + "\n")
		}
	}
	return b.String()
}
