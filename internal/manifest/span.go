package manifest

import (
	"bytes"
	"sort"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// indexLines records where each line starts. Line breaks are the ones yaml.v3
// counts: CRLF, CR, LF, NEL, LS and PS. A UTF-8 byte order mark is skipped
// by yaml.v3 without counting a column, so line 1 starts after it.
func (f *file) indexLines() {
	src := f.src
	start := 0
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	f.lines = append(f.lines[:0], start)
	for i := start; i < len(src); {
		if n := breakLen(src, i); n > 0 {
			i += n
			f.lines = append(f.lines, i)
			continue
		}
		i++
	}
}

// breakLen returns the length of the line break at src[i], or 0.
func breakLen(src []byte, i int) int {
	switch src[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xc2:
		if i+1 < len(src) && src[i+1] == 0x85 {
			return 2
		}
	case 0xe2:
		if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xa8 || src[i+2] == 0xa9) {
			return 3
		}
	}
	return 0
}

// lineOf returns the 1-based line holding byte offset off.
func (f *file) lineOf(off int) int {
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off })
}

// offset converts yaml.v3's 1-based line and column (counted in characters)
// into a byte offset, or -1 when it is out of range.
func (f *file) offset(line, col int) int {
	if line < 1 || line > len(f.lines) || col < 1 {
		return -1
	}
	off := f.lines[line-1]
	for i := 1; i < col; i++ {
		if off >= len(f.src) || breakLen(f.src, off) > 0 {
			return -1
		}
		_, size := utf8.DecodeRune(f.src[off:])
		off += size
	}
	return off
}

// lineEnd returns the offset of the line break ending the given line (after
// any comment on it), or len(src) on the last line without one.
func (f *file) lineEnd(line int) int {
	if line < len(f.lines) {
		return f.breakStart(f.lines[line-1], f.lines[line])
	}
	return len(f.src)
}

// breakStart finds the start of the line break that ends at next.
func (f *file) breakStart(from, next int) int {
	for i := from; i < next; i++ {
		if n := breakLen(f.src, i); n > 0 && i+n == next {
			return i
		}
	}
	return next
}

// span is the byte range of a scalar's text, quotes included.
type span struct{ start, end int }

// scalarSpan locates the text of a single-line scalar and checks that it
// holds exactly n.Value, so a splice can never land on the wrong bytes.
func (f *file) scalarSpan(n *yaml.Node) (span, *Error) {
	if n.Kind == yaml.AliasNode {
		return span{}, errorf(f.name, n.Line, "value is an alias (*%s); refusing to break it", n.Value)
	}
	if n.Kind != yaml.ScalarNode {
		return span{}, errorf(f.name, n.Line, "found a %s where a string is expected", kindName(n))
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return span{}, errorf(f.name, n.Line, "value is a block scalar (| or >); refusing to edit it")
	}
	p := f.offset(n.Line, n.Column)
	if p < 0 {
		return span{}, errorf(f.name, n.Line, "cannot locate value %q", n.Value)
	}
	p = f.skipProperties(p)
	src := f.src
	bad := errorf(f.name, n.Line, "value %q spans several lines or cannot be located; refusing to edit it", n.Value)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if p >= len(src) || src[p] != '"' {
			return span{}, bad
		}
		i := p + 1
		for ; i < len(src) && src[i] != '"'; i++ {
			if breakLen(src, i) > 0 {
				return span{}, bad
			}
			if src[i] == '\\' {
				i++
			}
		}
		if i >= len(src) {
			return span{}, bad
		}
		s := span{p, i + 1}
		var v string
		if err := yaml.Unmarshal(src[s.start:s.end], &v); err != nil || v != n.Value {
			return span{}, bad
		}
		return s, nil
	case n.Style&yaml.SingleQuotedStyle != 0:
		if p >= len(src) || src[p] != '\'' {
			return span{}, bad
		}
		var v []byte
		i := p + 1
		for ; i < len(src); i++ {
			if breakLen(src, i) > 0 {
				return span{}, bad
			}
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					v = append(v, '\'')
					i++
					continue
				}
				break
			}
			v = append(v, src[i])
		}
		if i >= len(src) || string(v) != n.Value {
			return span{}, bad
		}
		return span{p, i + 1}, nil
	default:
		if n.Value == "" {
			return span{}, errorf(f.name, n.Line, "value is empty")
		}
		end := p + len(n.Value)
		if end > len(src) || string(src[p:end]) != n.Value || !plainEnds(src, end) {
			return span{}, bad
		}
		return span{p, end}, nil
	}
}

// plainEnds reports whether a plain scalar can end just before src[i].
func plainEnds(src []byte, i int) bool {
	if i >= len(src) || breakLen(src, i) > 0 {
		return true
	}
	switch src[i] {
	case ' ', '\t', ',', ']', '}':
		return true
	case ':': // a key's end
		return i+1 >= len(src) || plainEnds(src, i+1)
	}
	return false
}

// skipProperties skips an anchor (&a) and a tag (!t, !<...>) before a value.
func (f *file) skipProperties(p int) int {
	src := f.src
	for p < len(src) && (src[p] == '&' || src[p] == '!') {
		if src[p] == '!' && p+1 < len(src) && src[p+1] == '<' {
			for p < len(src) && src[p] != '>' {
				p++
			}
			p++
		}
		for p < len(src) && src[p] != ' ' && src[p] != '\t' && breakLen(src, p) == 0 {
			p++
		}
		for p < len(src) && (src[p] == ' ' || src[p] == '\t' || breakLen(src, p) > 0) {
			p++
		}
	}
	return p
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar"
}
