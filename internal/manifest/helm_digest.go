package manifest

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// addDigestKey adds the digest key of an explicitly configured digest path
// right after the tag key: same indentation, same quoting style as the tag's
// value (a single-quoted tag gets a single-quoted digest). The tag and the
// digest must share a mapping; anywhere else, the user adds the key.
func (e *editor) addDigestKey(s *helmSpot, digest string) error {
	f := e.f
	tagDir, _ := splitPath(s.tagPath)
	digestDir, name := splitPath(s.dp)
	if tagDir != digestDir || s.tag.key == nil {
		return errorf(f.name, s.tag.val.Line, "%s is absent and not next to %s; add the key to the file (ferry adds only a digest key that sits next to the tag)", s.dp, s.tagPath)
	}
	parent := s.root
	if tagDir != "" {
		r, err := f.resolve(s.root, tagDir)
		if err != nil {
			return err
		}
		parent = r.val
	}
	if parent == nil || parent.Kind != yaml.MappingNode {
		return errorf(f.name, s.tag.key.Line, "internal: cannot find the mapping holding %s", s.tagPath)
	}
	if err := f.editable(parent); err != nil {
		return err
	}
	style := s.tag.val.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
	text := name + ": " + quoteLike(style, digest)
	var off int
	if parent.Style&yaml.FlowStyle != 0 {
		vs, err := f.scalarSpan(s.tag.val)
		if err != nil {
			return err
		}
		off, text = vs.end, ", "+text
	} else {
		if s.tag.val.Kind != yaml.ScalarNode || s.tag.val.Line != s.tag.key.Line && s.tag.val.Value != "" {
			return errorf(f.name, s.tag.key.Line, "%s does not end on its key's line; add %s by hand", s.tagPath, s.dp)
		}
		off = f.lineEnd(s.tag.key.Line)
		// On a last line without a break, the file still ends without one.
		text = f.eol + pad(s.tag.key.Column-1) + text
	}
	k, v := scalar(name), scalar(digest)
	v.Style = style
	e.values[v] = digest
	// The re-parsed mapping must be the old one with the pair after the tag.
	repl := *parent
	repl.Content = nil
	for i := 0; i+1 < len(parent.Content); i += 2 {
		repl.Content = append(repl.Content, parent.Content[i], parent.Content[i+1])
		if parent.Content[i] == s.tag.key {
			repl.Content = append(repl.Content, k, v)
		}
	}
	e.replaced[parent] = &repl
	e.insert(off, text, nil)
	return nil
}

// splitPath splits a dotted path into its parent and last step.
func splitPath(p string) (dir, name string) {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// quoteLike writes v in the given quoting style (v needs no escaping).
func quoteLike(style yaml.Style, v string) string {
	switch style {
	case yaml.SingleQuotedStyle:
		return "'" + v + "'"
	case yaml.DoubleQuotedStyle:
		return `"` + v + `"`
	}
	return plainOrQuoted(v)
}
