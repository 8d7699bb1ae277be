package manifest

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// file is a parsed YAML stream together with the bytes it came from, so that
// edits can splice those bytes instead of re-encoding the tree.
type file struct {
	name string
	src  []byte
	docs []*yaml.Node // document nodes, in order
	// lines[i] is the byte offset at which line i+1 starts, counting line
	// breaks the way yaml.v3 does so that Node.Line indexes it.
	lines []int
	// aliased counts, for each anchored node, the aliases that refer to it.
	aliased map[*yaml.Node]int
	eol     string
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parse(name string, src []byte, o options) (*file, error) {
	if int64(len(src)) > o.maxBytes {
		return nil, errorf(name, 0, "file is %d bytes, over the limit of %d bytes", len(src), o.maxBytes)
	}
	f := &file{name: name, src: src, aliased: map[*yaml.Node]int{}, eol: "\n"}
	f.indexLines()
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return nil, errorf(name, f.lineOf(off), "file is not valid UTF-8")
	}
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		f.eol = "\r\n"
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(name, err)
		}
		f.docs = append(f.docs, &n)
	}
	if err := f.checkAliases(o.maxAliasExpansion); err != nil {
		return nil, err
	}
	if err := f.checkDuplicateKeys(); err != nil {
		return nil, err
	}
	return f, nil
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ...") into an *Error.
func yamlError(name string, err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return errorf(name, line, "invalid YAML: %s", m[2])
	}
	// yaml.v3 leaves the line out when the problem is on the first line.
	return errorf(name, 1, "invalid YAML: %s", trimYAMLPrefix(msg))
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// checkAliases counts the nodes that aliases would expand to and refuses the
// file when they exceed max, or when an alias contains itself. The tree is
// never expanded: sizes are memoized per node.
func (f *file) checkAliases(max int) error {
	size := map[*yaml.Node]int{}
	const visiting = -1
	total := 0
	var measure func(n *yaml.Node) (int, *yaml.Node)
	measure = func(n *yaml.Node) (int, *yaml.Node) {
		if s, ok := size[n]; ok {
			if s == visiting {
				return 0, n
			}
			return s, nil
		}
		size[n] = visiting
		s := 1
		for _, c := range n.Content {
			cs, cyc := measure(c)
			if cyc != nil {
				return 0, cyc
			}
			s += cs
			if s > max+1 {
				s = max + 1 // enough to know it is over; keeps sums small
			}
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			as, cyc := measure(n.Alias)
			if cyc != nil {
				return 0, cyc
			}
			s = as
		}
		size[n] = s
		return s, nil
	}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return errorf(f.name, n.Line, "alias *%s has no anchor", n.Value)
			}
			f.aliased[n.Alias]++
			s, cyc := measure(n.Alias)
			if cyc != nil {
				return errorf(f.name, n.Line, "alias *%s refers to a node that contains it", n.Value)
			}
			total += s
			if total > max {
				return errorf(f.name, n.Line, "aliases expand to more than %d nodes; refusing a possible YAML bomb", max)
			}
			return nil
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, d := range f.docs {
		if err := walk(d); err != nil {
			return err
		}
	}
	return nil
}
