// Package unidiff writes the unified diff of two texts, as `git diff` shows
// it, so that a promotion's preview and the commit that follows read alike.
//
// No diff library that is kept up is in Ferry's module graph (go-difflib
// is archived; go-diff speaks diff-match-patch, not unified hunks), and an
// image edit changes a line or two: Myers' O(ND) algorithm is short and
// fast for exactly that.
package unidiff

import (
	"fmt"
	"strings"
)

// context is the number of unchanged lines around each change, git's default.
const context = 3

// Diff returns the unified diff turning old into new at path, with git's
// a/ and b/ headers; "" when they are equal.
func Diff(path string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	a, b := lines(string(old)), lines(string(new))
	ops := edits(a, b)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", path, path)
	for _, h := range hunks(ops) {
		writeHunk(&sb, h, a, b)
	}
	return sb.String()
}

// lines splits s after each newline; a last line without one is kept with a
// marker so that the diff can say so, as git does.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// op is one line of the edit script: kind ' ' (kept), '-' or '+', with the
// line's index in a (kept, removed) or b (added).
type op struct {
	kind byte
	ai   int
	bi   int
}

// edits is the shortest edit script from a to b (Myers 1986), deletions
// before insertions inside each change as git prints them.
func edits(a, b []string) []op {
	n, m := len(a), len(b)
	max := n + m
	v := make([]int, 2*max+2)
	var trace [][]int
	off := max + 1
	for d := 0; d <= max; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, off, n, m, d)
			}
		}
	}
	return nil
}

// backtrack walks the trace from (n, m) back to (0, 0).
func backtrack(trace [][]int, off, n, m, dEnd int) []op {
	var rev []op
	x, y := n, m
	for d := dEnd; d > 0; d-- {
		v := trace[d] // v as step d-1 left it
		k := x - y
		var pk int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := v[off+pk]
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, op{' ', x, y})
		}
		if x == px {
			y--
			rev = append(rev, op{'+', x, y})
		} else {
			x--
			rev = append(rev, op{'-', x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, op{' ', x, y})
	}
	out := make([]op, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return reorder(out)
}

// reorder puts each run of removals before the additions it sits with.
func reorder(ops []op) []op {
	out := make([]op, 0, len(ops))
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			out = append(out, ops[i])
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind != ' ' {
			j++
		}
		for _, o := range ops[i:j] {
			if o.kind == '-' {
				out = append(out, o)
			}
		}
		for _, o := range ops[i:j] {
			if o.kind == '+' {
				out = append(out, o)
			}
		}
		i = j
	}
	return out
}

// hunks cuts the script into hunks of changes with context lines around,
// joining changes whose contexts touch.
func hunks(ops []op) [][]op {
	var out [][]op
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-context, 0)
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			gap := end
			for gap < len(ops) && ops[gap].kind == ' ' {
				gap++
			}
			if gap < len(ops) && gap-end <= 2*context {
				end = gap
				continue
			}
			end = min(end+context, len(ops))
			break
		}
		out = append(out, ops[start:end])
		i = end
	}
	return out
}

func writeHunk(sb *strings.Builder, h []op, a, b []string) {
	aLen, bLen := 0, 0
	for _, o := range h {
		switch o.kind {
		case ' ':
			aLen++
			bLen++
		case '-':
			aLen++
		case '+':
			bLen++
		}
	}
	// The start of each side is its first line in the hunk, or (an empty
	// side) the line before which it sits.
	aStart, bStart := h[0].ai, h[0].bi
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", span(aStart, aLen), span(bStart, bLen))
	for _, o := range h {
		var l string
		if o.kind == '+' {
			l = b[o.bi]
		} else {
			l = a[o.ai]
		}
		sb.WriteByte(o.kind)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// span is a hunk side's range: "start,len" 1-based, "start" when len is 1,
// and the line before with len 0 for an empty side, as git writes it.
func span(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
