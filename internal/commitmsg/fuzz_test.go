package commitmsg

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// FuzzParse: any message parses without panic, and Parse(Format(entries))
// gives back the entries for entries made from the input.
func FuzzParse(f *testing.F) {
	f.Add(Format([]Entry{payments()}), "rel_1,prm_1,r/x:1@sha256:aa,,,alice,,bob", uint8(1), true)
	f.Add("s\n\nFerry-Promotion: p\n  cont\n---\n", "a,b,c,d,e,f,g,h,i,j,k,l,m", uint8(7), false)
	f.Add("Merge ferry/a: x\r\n\r\n- : → (\r\nFerry-Release:\n", "---,,→ (,)", uint8(255), true)
	f.Fuzz(func(t *testing.T, msg, fields string, shape uint8, merge bool) {
		Parse(msg)

		entries := entriesFrom(strings.Split(fields, ","), shape)
		want := Message{Entries: entries}
		var got Message
		if merge {
			want.Merged = gitrepo.OwnBranchPrefix + clean(fields)
			got = Parse(FormatMerge(want.Merged, entries))
		} else {
			got = Parse(Format(entries))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(Format(m)) is not m:\n got %#v\nwant %#v", got, want)
		}
	})
}

// entriesFrom makes shape%3+1 entries, filling their fields from parts in
// turn, and shape/3%3 approvals each.
func entriesFrom(parts []string, shape uint8) []Entry {
	i := 0
	next := func() string { s := clean(parts[i%len(parts)]); i++; return s }
	var out []Entry
	for range int(shape%3) + 1 {
		e := Entry{
			Release: next(), Promotion: next(), Image: next(), SourceCommit: next(), CIRun: next(),
			RequestedBy: next(), ForcedBy: next(), MergedBy: next(),
			// A subject starting with "---" would read as a patch
			// separator; names Ferry accepts start with a letter or digit.
			Application: strings.TrimLeft(next(), "-"), Environment: strings.TrimLeft(next(), "-"),
			Path: next(), SourceRepo: next(),
		}
		for range int(shape/3) % 3 {
			e.ApprovedBy = append(e.ApprovedBy, next())
		}
		out = append(out, e)
	}
	return out
}

// clean keeps what a value may hold: one line, no spaces. Every value
// Ferry writes is so (ids, digests, image references, URLs, names, paths
// validated by the config).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
