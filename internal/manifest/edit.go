package manifest

import (
	"sort"

	"gopkg.in/yaml.v3"
)

// edit replaces src[start:end] with text (an insertion when start == end).
type edit struct {
	start, end int
	text       string
}

// editor collects the edits of one Set call, and what the re-parsed output
// must look like, for verify.
type editor struct {
	f     *file
	edits []edit
	// values maps each edited scalar to the value it must hold afterwards.
	values map[*yaml.Node]string
	// appended maps a mapping or sequence to the nodes appended to it.
	appended map[*yaml.Node][]*yaml.Node
	// replaced maps a node to the node that takes its place (an empty
	// "images:" that becomes a list).
	replaced map[*yaml.Node]*yaml.Node
}

func newEditor(f *file) *editor {
	return &editor{f: f, values: map[*yaml.Node]string{}, appended: map[*yaml.Node][]*yaml.Node{}, replaced: map[*yaml.Node]*yaml.Node{}}
}

// setScalar replaces the value of scalar n with v, keeping its quoting style,
// anchor and tag. v must need no escaping (image references never do).
func (e *editor) setScalar(n *yaml.Node, v string) error {
	if err := e.f.editable(n); err != nil {
		return err
	}
	if _, done := e.values[n]; done {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Value == "" && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return errorf(e.f.name, n.Line, "value is empty; ferry edits values, write a placeholder such as \"\" first")
	}
	if n.Style&yaml.TaggedStyle != 0 && n.ShortTag() != "!!str" {
		// The tag stays in front of what is written: the value would not read
		// back as a string.
		return errorf(e.f.name, n.Line, "value is tagged %s; ferry writes strings, remove the tag or make it !!str", n.Tag)
	}
	s, err := e.f.scalarSpan(n)
	if err != nil {
		return err
	}
	text := v
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.TaggedStyle) == 0 && !plainString(v):
		// A plain 1.10 would read back as a number; quoting is the lesser change.
		text = `"` + v + `"`
	case n.Style&yaml.DoubleQuotedStyle != 0:
		text = `"` + v + `"`
	case n.Style&yaml.SingleQuotedStyle != 0:
		text = `'` + v + `'`
	}
	e.values[n] = v
	if string(e.f.src[s.start:s.end]) != text {
		e.edits = append(e.edits, edit{s.start, s.end, text})
	}
	return nil
}

// editable refuses nodes whose edit would also change other places.
func (f *file) editable(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return errorf(f.name, n.Line, "value is an alias (*%s); refusing to break it", n.Value)
	}
	if c := f.aliased[n]; c > 0 {
		return errorf(f.name, n.Line, "value is anchored as &%s and used by %d alias(es); editing it would change them too", n.Anchor, c)
	}
	return nil
}

// insert adds text at off; node, if not nil, is what the re-parsed parent
// must gain at its end.
func (e *editor) insert(off int, text string, parent *yaml.Node, added ...*yaml.Node) {
	e.edits = append(e.edits, edit{off, off, text})
	if parent != nil {
		e.appended[parent] = append(e.appended[parent], added...)
	}
}

// apply splices the edits into a copy of src.
func (e *editor) apply() ([]byte, *Error) {
	edits := e.edits
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	src := e.f.src
	grow := 0
	for i, ed := range edits {
		if i > 0 && ed.start < edits[i-1].end {
			return nil, errorf(e.f.name, e.f.lineOf(ed.start), "internal: overlapping edits")
		}
		grow += len(ed.text) - (ed.end - ed.start)
	}
	out := make([]byte, 0, len(src)+grow)
	prev := 0
	for _, ed := range edits {
		out = append(out, src[prev:ed.start]...)
		out = append(out, ed.text...)
		prev = ed.end
	}
	return append(out, src[prev:]...), nil
}

// scalar builds a string node for the expected tree, styled as plainOrQuoted
// writes v: double-quoted when a plain v would not read back as that string.
func scalar(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if !plainString(v) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// mapping builds a mapping node for the expected tree.
func mapping(kv ...string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, s := range kv {
		m.Content = append(m.Content, scalar(s))
	}
	return m
}

// setValue sets the value of a mapping pair; unlike setScalar it also fills
// an empty value ("tag:" with nothing after the colon).
func (e *editor) setValue(key, val *yaml.Node, v string) error {
	if val.Kind != yaml.ScalarNode || val.Value != "" || val.Style != 0 || val.Tag != "!!null" {
		return e.setScalar(val, v)
	}
	if err := e.f.editable(val); err != nil {
		return err
	}
	ks, err := e.f.scalarSpan(key)
	if err != nil {
		return err
	}
	src := e.f.src
	p := ks.end
	for p < len(src) && (src[p] == ' ' || src[p] == '\t') {
		p++
	}
	if p >= len(src) || src[p] != ':' {
		return errorf(e.f.name, key.Line, "cannot locate the empty value of %q", key.Value)
	}
	// Only blanks and a comment may follow the colon on its line: an anchor
	// or a tag ("tag: &a", "tag: !") would merge with the value written after
	// it, and where the value belongs then is the file author's call.
	q := p + 1
	for q < len(src) && (src[q] == ' ' || src[q] == '\t') {
		q++
	}
	if val.Anchor != "" || (q < len(src) && src[q] != '#' && breakLen(src, q) == 0) {
		return errorf(e.f.name, key.Line, "value of %q is empty but carries an anchor or tag; write a placeholder such as \"\" first", key.Value)
	}
	e.values[val] = v
	e.insert(p+1, " "+plainOrQuoted(v), nil)
	return nil
}

// plainString reports whether v, written plain, reads back as the string v.
func plainString(v string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(v), &n); err != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && c.Value == v
}

// plainOrQuoted writes v plain when it reads back as a string, else quoted.
func plainOrQuoted(v string) string {
	if plainString(v) {
		return v
	}
	return `"` + v + `"`
}

// lookup returns the key and value nodes of key in mapping m.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
