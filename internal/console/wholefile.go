package console

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// diffLine is one line of a diff view: "add", "del", "ctx" (unchanged) or
// "hunk" (a hunk's @@ header).
type diffLine struct {
	Kind string
	Text string
}

// Reasons a whole-file view cannot be laid over the file.
var (
	errTruncated = errors.New("the stored diff was cut at 16 KiB")
	errStale     = errors.New("the file has changed since the promotion edited it")
)

var hunkRE = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@`)

// diffLines splits a stored unified diff into lines to show, headers left out.
func diffLines(diff string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ "):
		case strings.HasPrefix(l, "@@"):
			out = append(out, diffLine{Kind: "hunk", Text: l})
		case strings.HasPrefix(l, "+"):
			out = append(out, diffLine{Kind: "add", Text: l})
		case strings.HasPrefix(l, "-"):
			out = append(out, diffLine{Kind: "del", Text: l})
		default:
			out = append(out, diffLine{Kind: "ctx", Text: l})
		}
	}
	return out
}

// wholeFile lays a stored unified diff over the file that now carries its
// change: every line of the file, with the diff's removed lines just before
// the lines that replaced them. Each hunk's new side must still be where
// the diff says (errStale otherwise): the view never shows a change the
// file no longer has.
func wholeFile(diff string, content []byte) ([]diffLine, error) {
	if strings.Contains(diff, "\n[diff truncated: ") {
		return nil, errTruncated
	}
	file := strings.Split(string(content), "\n")
	if len(file) > 0 && file[len(file)-1] == "" {
		file = file[:len(file)-1]
	}
	var out []diffLine
	next := 0 // index in file of the next line not yet shown
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		m := hunkRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		start, _ := strconv.Atoi(m[1])
		if m[2] == "0" { // nothing on the new side: it follows line start
			start++
		}
		start-- // to an index
		if start < next || start > len(file) {
			return nil, errStale
		}
		for ; next < start; next++ {
			out = append(out, diffLine{Kind: "ctx", Text: " " + file[next]})
		}
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "@@") {
			i++
			l := lines[i]
			switch {
			case strings.HasPrefix(l, `\`): // "\ No newline at end of file"
			case strings.HasPrefix(l, "-"):
				out = append(out, diffLine{Kind: "del", Text: l})
			case strings.HasPrefix(l, "+") || strings.HasPrefix(l, " ") || l == "":
				text := ""
				if l != "" {
					text = l[1:]
				}
				if next >= len(file) || file[next] != text {
					return nil, fmt.Errorf("%w (line %d)", errStale, next+1)
				}
				kind := "ctx"
				if strings.HasPrefix(l, "+") {
					kind = "add"
				}
				out = append(out, diffLine{Kind: kind, Text: l})
				next++
			}
		}
	}
	for ; next < len(file); next++ {
		out = append(out, diffLine{Kind: "ctx", Text: " " + file[next]})
	}
	return out, nil
}
