package console

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/unidiff"
)

func render(lines []diffLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func TestWholeFileShowsEveryLineAroundTheChange(t *testing.T) {
	var old, new strings.Builder
	for i := 1; i <= 20; i++ {
		line := "line " + string(rune('a'+i)) + "\n"
		old.WriteString(line)
		switch i {
		case 3:
			new.WriteString("  newTag: 1.4.2\n")
		case 15:
			new.WriteString("  digest: sha256:new\n")
		default:
			new.WriteString(line)
		}
	}
	diff := unidiff.Diff("apps/payments/dev/kustomization.yaml", []byte(old.String()), []byte(new.String()))
	got, err := wholeFile(diff, []byte(new.String()))
	if err != nil {
		t.Fatal(err)
	}
	// Every line of the new file, in order, plus the two removed lines.
	var want strings.Builder
	for i := 1; i <= 20; i++ {
		line := "line " + string(rune('a'+i))
		switch i {
		case 3:
			want.WriteString("-" + line + "\n+  newTag: 1.4.2\n")
		case 15:
			want.WriteString("-" + line + "\n+  digest: sha256:new\n")
		default:
			want.WriteString(" " + line + "\n")
		}
	}
	if render(got) != want.String() {
		t.Fatalf("whole file:\n%s\nwant:\n%s", render(got), want.String())
	}
	adds, dels := 0, 0
	for _, l := range got {
		switch l.Kind {
		case "add":
			adds++
		case "del":
			dels++
		}
	}
	if adds != 2 || dels != 2 {
		t.Errorf("adds %d dels %d, want 2 and 2", adds, dels)
	}
}

func TestWholeFileRefusesAFileThatChangedSince(t *testing.T) {
	old := "a\nb\nc\nimage: x:1\nd\n"
	new := "a\nb\nc\nimage: x:2\nd\n"
	diff := unidiff.Diff("f.yaml", []byte(old), []byte(new))
	if _, err := wholeFile(diff, []byte("a\nb\nc\nimage: x:3\nd\n")); !errors.Is(err, errStale) {
		t.Fatalf("err = %v, want errStale", err)
	}
	if _, err := wholeFile(diff, []byte("a\n")); !errors.Is(err, errStale) {
		t.Fatalf("short file: err = %v, want errStale", err)
	}
	if _, err := wholeFile(diff+"[diff truncated: 10 of 20 bytes shown]\n", []byte(new)); !errors.Is(err, errTruncated) {
		t.Fatalf("err = %v, want errTruncated", err)
	}
}
