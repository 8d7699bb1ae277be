package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var fuzzTargets = []Target{
	{Kind: Kustomize, Image: "ghcr.io/acme/payments"},
	{Kind: Helm},
	{Kind: Manifest, Image: "ghcr.io/acme/payments"},
	{Kind: Marker, Name: "payments", Image: "ghcr.io/acme/payments"},
}

// fuzzTags are the tags written: a plain one, and ones that YAML reads as
// something else than a string unless quoted.
var fuzzTags = []string{testImage.Tag, "1.4", "1", "1e5", "true", "null", "0x1F"}

// fuzzCase picks the target kind and the tag from one byte, so that the
// seeds in testdata/fuzz (k < len(fuzzTargets)) keep their meaning.
func fuzzCase(k uint8) (Target, Image) {
	img := testImage
	img.Tag = fuzzTags[int(k)/len(fuzzTargets)%len(fuzzTags)]
	return fuzzTargets[int(k)%len(fuzzTargets)], img
}

// FuzzSet feeds random YAML to every target kind: Set must never panic, never
// blame itself ("internal:") for what a file holds, and when it edits, the
// output parses, reads back, is stable, and differs from the input only
// inside the values written (for kinds that only replace).
func FuzzSet(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*/input.yaml")
	corpus, _ := filepath.Glob("testdata/corpus/*/input.yaml")
	for _, p := range append(inputs, corpus...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for k := range len(fuzzTargets) * len(fuzzTags) {
			f.Add(b, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, k uint8) {
		target, img := fuzzCase(k)
		out, changed, err := Set("f.yaml", src, target, img)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || out != nil {
				t.Fatalf("error %v (%T) with output %q", err, err, out)
			}
			if strings.HasPrefix(e.Reason, "internal:") {
				t.Fatalf("Set blames itself for this file: %v\n%s", err, src)
			}
			return
		}
		if !changed {
			if !bytes.Equal(out, src) {
				t.Fatalf("unchanged but output differs")
			}
			return
		}
		if err := parseAll(out); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		got, err := Get("f.yaml", out, target)
		// A file may hold only a digest (a lone ferry:digest marker).
		if err != nil || (got.Tag != img.Tag && got.Tag != "") || got.Digest != img.Digest {
			t.Fatalf("Get after Set = %v, %v", got, err)
		}
		again, changed, err := Set("f.yaml", out, target, img)
		if err != nil || changed || !bytes.Equal(again, out) {
			t.Fatalf("second Set changed=%v err=%v", changed, err)
		}
		if target.Kind != Kustomize {
			checkOnlyValuesChanged(t, src, out, img)
		}
	})
}

// splitLines splits after every YAML line break: "\r\n", "\n" or a lone "\r".
func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\n':
		case s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n'):
		default:
			continue
		}
		out = append(out, s[start:i+1])
		start = i + 1
	}
	return append(out, s[start:])
}

func parseAll(b []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

// checkOnlyValuesChanged splits both files into the same lines and checks
// that every line that differs differs only in a middle part that, in the
// output, is made of the values written (and quotes), and in the input holds
// no comment.
func checkOnlyValuesChanged(t *testing.T, src, out []byte, img Image) {
	t.Helper()
	a, b := splitLines(string(src)), splitLines(string(out))
	if len(a) != len(b) {
		t.Fatalf("line count changed from %d to %d", len(a), len(b))
	}
	written := []string{img.Tag + "@" + img.Digest, img.Digest, img.Tag}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		x, y := a[i], b[i]
		p := 0
		for p < len(x) && p < len(y) && x[p] == y[p] {
			p++
		}
		s := 0
		for s < len(x)-p && s < len(y)-p && x[len(x)-1-s] == y[len(y)-1-s] {
			s++
		}
		if strings.ContainsAny(x[p:len(x)-s], "\r\n") || startsComment(x, p, len(x)-s) {
			t.Fatalf("line %d: changed bytes %q include a comment or line break", i+1, x[p:len(x)-s])
		}
		// Widen the changed part of the output to the whole token around it.
		lo, hi := p, len(y)-s
		for lo > 0 && !strings.ContainsRune(" \t'\"[{,", rune(y[lo-1])) {
			lo--
		}
		for hi < len(y) && !strings.ContainsRune(" \t'\"]},\r\n", rune(y[hi])) {
			hi++
		}
		// Line alignment of common prefix and suffix is ambiguous around
		// spaces, so compare word by word: a word of the output's changed part
		// is a written value or was there before.
		before := strings.Fields(x[min(lo, len(x)):max(min(len(x)-s+(hi-(len(y)-s)), len(x)), min(lo, len(x)))])
		for _, w := range strings.Fields(y[lo:hi]) {
			w = strings.Trim(w, `'",[]{}`)
			ok := false
			for _, v := range written {
				ok = ok || strings.HasSuffix(w, v)
			}
			for _, v := range before {
				ok = ok || strings.Trim(v, `'",[]{}`) == w
			}
			if !ok {
				t.Fatalf("line %d: changed word %q is not a written value (line %q → %q)", i+1, w, x, y)
			}
		}
	}
}

// startsComment reports whether a comment starts in line[from:to]: a '#' at
// the line's start or after a blank.
func startsComment(line string, from, to int) bool {
	for j := from; j < to; j++ {
		if line[j] == '#' && (j == 0 || line[j-1] == ' ' || line[j-1] == '\t') {
			return true
		}
	}
	return false
}
