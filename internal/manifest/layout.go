package manifest

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// lastLeaf returns the last scalar or alias under n, in document order.
func lastLeaf(n *yaml.Node) *yaml.Node {
	for (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode || n.Kind == yaml.DocumentNode) && len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	return n
}

// endLine returns the last line of block node n, refusing when n ends with a
// value that spans several lines (a block scalar, say), whose end yaml.v3
// does not report.
func (f *file) endLine(n *yaml.Node) (int, error) {
	leaf := lastLeaf(n)
	if leaf.Kind == yaml.ScalarNode && (leaf.Value != "" || leaf.Style != 0) {
		if _, err := f.scalarSpan(leaf); err != nil {
			return 0, errorf(f.name, leaf.Line, "cannot add after a value that spans several lines")
		}
	}
	if leaf.Kind == yaml.MappingNode || leaf.Kind == yaml.SequenceNode {
		if leaf.Style&yaml.FlowStyle == 0 || leaf.Line != n.Line {
			return 0, errorf(f.name, leaf.Line, "cannot add after an empty collection")
		}
	}
	return leaf.Line, nil
}

// seqIndent returns how far this file indents a block sequence under its key:
// 0 for "key:\n- item" (kustomize's own style), else the offset used.
func (f *file) seqIndent() int {
	indent := -1
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if indent >= 0 {
			return
		}
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line {
					indent = v.Column - k.Column
					return
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, d := range f.docs {
		walk(d)
	}
	if indent < 0 || indent > 8 {
		return 0
	}
	return indent
}

// docEnd returns the offset where the document holding line ends: the start
// of the next "---" or "..." line, or the end of the file.
func (f *file) docEnd(line int) int {
	for l := line + 1; l <= len(f.lines); l++ {
		start := f.lines[l-1]
		rest := f.src[start:]
		if (len(rest) >= 3) && (string(rest[:3]) == "---" || string(rest[:3]) == "...") &&
			(len(rest) == 3 || rest[3] == ' ' || rest[3] == '\t' || breakLen(rest, 3) > 0) {
			return start
		}
	}
	return len(f.src)
}

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// flowEnd returns the offset of the bracket closing the flow collection that
// opens at src[open], skipping quoted scalars and comments, or -1.
func (f *file) flowEnd(open int) int {
	src := f.src
	depth := 0
	prev := byte(' ')
	for i := open; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i
			}
		case (c == '"' || c == '\'') && strings.IndexByte(" \t\n\r[{,:", prev) >= 0:
			for i++; i < len(src); i++ {
				if c == '"' && src[i] == '\\' {
					i++
					continue
				}
				if src[i] == c {
					if c == '\'' && i+1 < len(src) && src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r'):
			for i < len(src) && breakLen(src, i) == 0 {
				i++
			}
			c = '\n'
		}
		prev = c
	}
	return -1
}
