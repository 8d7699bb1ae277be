package manifest

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/yaml.v3"
)

// verify re-parses out and checks that it is the original tree with exactly
// the intended values changed and nodes appended: a last line of defence
// against a splice that would turn valid YAML into something else.
func (e *editor) verify(out []byte) *Error {
	dec := yaml.NewDecoder(bytes.NewReader(out))
	i := 0
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errorf(e.f.name, 0, "internal: the edited file does not parse (%s); refusing to write it", trimYAMLPrefix(err.Error()))
		}
		if i >= len(e.f.docs) || !e.same(e.f.docs[i], &n, 0) {
			return errorf(e.f.name, 0, "internal: the edit would change more than the image values; refusing to write it")
		}
		i++
	}
	if i != len(e.f.docs) {
		return errorf(e.f.name, 0, "internal: the edit would change the number of documents; refusing to write it")
	}
	return nil
}

// same compares an expected node (from the original tree, with e's changes)
// with an actual one. Positions and comments are not compared: splicing
// cannot have touched the comments' bytes.
func (e *editor) same(want, got *yaml.Node, depth int) bool {
	if r, ok := e.replaced[want]; ok {
		want = r
	}
	if depth > 10_000 || want.Kind != got.Kind || want.Anchor != got.Anchor {
		return false
	}
	switch want.Kind {
	case yaml.AliasNode:
		return want.Value == got.Value
	case yaml.ScalarNode:
		if v, ok := e.values[want]; ok {
			return got.Value == v && got.ShortTag() == "!!str"
		}
		return want.Value == got.Value && want.Tag == got.Tag && want.Style == got.Style
	}
	if want.Tag != got.Tag {
		return false
	}
	content := want.Content
	if add := e.appended[want]; len(add) > 0 {
		content = append(append([]*yaml.Node(nil), content...), add...)
	}
	if len(content) != len(got.Content) {
		return false
	}
	for i := range content {
		if !e.same(content[i], got.Content[i], depth+1) {
			return false
		}
	}
	return true
}
