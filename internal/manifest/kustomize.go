package manifest

import (
	"gopkg.in/yaml.v3"
)

// kustomizeEntries returns the images: entries naming repo (by name or
// newName), and the first images: key and value seen.
func (f *file) kustomizeEntries(repo string) (entries []*yaml.Node, key, list, root *yaml.Node, err error) {
	for _, d := range f.docs {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		r := d.Content[0]
		if root == nil {
			root = r
		}
		k, v := lookup(r, "images")
		if k == nil {
			continue
		}
		if key == nil {
			key, list = k, v
		}
		switch {
		case v.Kind == yaml.AliasNode:
			return nil, nil, nil, nil, errorf(f.name, v.Line, "images is an alias (*%s); refusing to break it", v.Value)
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			continue
		case v.Kind != yaml.SequenceNode:
			return nil, nil, nil, nil, errorf(f.name, v.Line, "images is a %s, expected a list", kindName(v))
		}
		for _, item := range v.Content {
			m := item
			if item.Kind == yaml.AliasNode {
				m = item.Alias
			}
			if m.Kind != yaml.MappingNode || !entryNames(m, repo) {
				continue
			}
			if item.Kind == yaml.AliasNode {
				return nil, nil, nil, nil, errorf(f.name, item.Line, "images entry is an alias (*%s); refusing to break it", item.Value)
			}
			entries = append(entries, m)
		}
	}
	return entries, key, list, root, nil
}

func entryNames(m *yaml.Node, repo string) bool {
	for _, field := range []string{"name", "newName"} {
		if _, v := lookup(m, field); v != nil && v.Kind == yaml.ScalarNode && sameRepo(v.Value, repo) {
			return true
		}
	}
	return false
}

func (e *editor) setKustomize(t Target, img Image) error {
	f := e.f
	if t.Image == "" {
		return errorf(f.name, 0, "kustomize target needs an image name")
	}
	entries, key, list, root, err := f.kustomizeEntries(t.Image)
	if err != nil {
		return err
	}
	for _, m := range entries {
		var missing []string
		for _, kv := range [][2]string{{"newTag", img.Tag}, {"digest", img.Digest}} {
			k, v := lookup(m, kv[0])
			if k == nil {
				missing = append(missing, kv[0], kv[1])
				continue
			}
			if err := e.setValue(k, v, kv[1]); err != nil {
				return err
			}
		}
		if len(missing) > 0 {
			if err := e.appendPairs(m, missing); err != nil {
				return err
			}
		}
	}
	if len(entries) > 0 {
		return nil
	}
	entry := []string{"name", t.Image, "newTag", img.Tag, "digest", img.Digest}
	switch {
	case list != nil:
		return e.appendEntry(key, list, entry)
	case root != nil:
		return e.addImages(root, entry)
	}
	return notFoundf(f.name, 0, "no kustomization to add an images: entry to")
}

// appendPairs adds key: value pairs at the end of mapping m.
func (e *editor) appendPairs(m *yaml.Node, kv []string) error {
	f := e.f
	var added []*yaml.Node
	for _, s := range kv {
		added = append(added, scalar(s))
	}
	if m.Style&yaml.FlowStyle != 0 {
		last := m.Content[len(m.Content)-1]
		s, err := f.scalarSpan(last)
		if err != nil {
			return errorf(f.name, m.Line, "cannot add %s to this flow mapping: it does not end with a one-line value", kv[0])
		}
		text := ""
		for i := 0; i < len(kv); i += 2 {
			text += ", " + kv[i] + ": " + plainOrQuoted(kv[i+1])
		}
		e.insert(s.end, text, m, added...)
		return nil
	}
	line, err := f.endLine(m)
	if err != nil {
		return err
	}
	text := ""
	for i := 0; i < len(kv); i += 2 {
		text += f.eol + pad(m.Column-1) + kv[i] + ": " + plainOrQuoted(kv[i+1])
	}
	e.insert(f.lineEnd(line), text, m, added...)
	return nil
}

// entryLines writes a block sequence item at dash column dash (0-based) with
// its keys at column at.
func (f *file) entryLines(dash, at int, kv []string) string {
	text := ""
	for i := 0; i < len(kv); i += 2 {
		if i == 0 {
			text += pad(dash) + "-" + pad(at-dash-1)
		} else {
			text += f.eol + pad(at)
		}
		text += kv[i] + ": " + plainOrQuoted(kv[i+1])
	}
	return text
}

func flowEntry(kv []string) string {
	text := "{"
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			text += ", "
		}
		text += kv[i] + ": " + plainOrQuoted(kv[i+1])
	}
	return text + "}"
}

// appendEntry adds an entry at the end of the images: list.
func (e *editor) appendEntry(key, list *yaml.Node, kv []string) error {
	f := e.f
	entry := mapping(kv...)
	switch {
	case list.Kind == yaml.ScalarNode: // "images:" with nothing under it
		if list.Value != "" || list.Style != 0 {
			return errorf(f.name, list.Line, "images is %q, expected a list", list.Value)
		}
		if err := f.editable(list); err != nil {
			return err
		}
		dash := key.Column - 1 + f.seqIndent()
		e.insert(f.lineEnd(key.Line), f.eol+f.entryLines(dash, dash+2, kv), nil)
		e.replaced[list] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{entry}}
		return nil
	case list.Style&yaml.FlowStyle != 0:
		open := f.skipProperties(f.offset(list.Line, list.Column))
		end := -1
		if open >= 0 && open < len(f.src) && f.src[open] == '[' {
			end = f.flowEnd(open)
		}
		if end < 0 {
			return errorf(f.name, list.Line, "cannot find the end of the images list")
		}
		if len(list.Content) == 0 {
			e.insert(open+1, flowEntry(kv), list, entry)
			return nil
		}
		p := end
		for p > open && (f.src[p-1] == ' ' || f.src[p-1] == '\t' || breakLen(f.src, p-1) > 0) {
			p--
		}
		if p > open && f.src[p-1] == ',' { // a trailing comma
			e.insert(p, " "+flowEntry(kv), list, entry)
			return nil
		}
		e.insert(p, ", "+flowEntry(kv), list, entry)
		return nil
	}
	line, err := f.endLine(list)
	if err != nil {
		return err
	}
	dash := list.Column - 1
	at := dash + 2
	if last := list.Content[len(list.Content)-1]; last.Kind == yaml.MappingNode && last.Style&yaml.FlowStyle == 0 && last.Column > list.Column {
		at = last.Column - 1
	}
	e.insert(f.lineEnd(line), f.eol+f.entryLines(dash, at, kv), list, entry)
	return nil
}

// addImages adds "images:" with one entry at the end of the document.
func (e *editor) addImages(root *yaml.Node, kv []string) error {
	f := e.f
	if root.Style&yaml.FlowStyle != 0 {
		return errorf(f.name, root.Line, "cannot add images: to a flow-style mapping")
	}
	last := lastLeaf(root)
	off := f.docEnd(last.Line)
	// Keys sit at the first key's column, which is not the mapping's own when
	// a tag or anchor stands on the line before ("!t\n  a: b").
	col := root.Column
	if len(root.Content) > 0 && root.Content[0].Line > root.Line {
		col = root.Content[0].Column
	}
	dash := col - 1 + f.seqIndent()
	text := pad(col-1) + "images:" + f.eol + f.entryLines(dash, dash+2, kv)
	if off > 0 && !endsWithBreak(f.src[:off]) && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// The line break needed before images: would become part of the
		// block scalar's value.
		return errorf(f.name, last.Line, "cannot add images: after a block scalar that ends the file without a line break; add one")
	}
	if off > 0 && !endsWithBreak(f.src[:off]) {
		text = f.eol + text // and the file still ends without one
	} else {
		text += f.eol
	}
	e.insert(off, text, root, scalar("images"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{mapping(kv...)}})
	return nil
}

func (f *file) getKustomize(t Target) (Image, error) {
	entries, _, _, _, err := f.kustomizeEntries(t.Image)
	if err != nil {
		return Image{}, err
	}
	if len(entries) == 0 {
		return Image{}, notFoundf(f.name, 0, "no images: entry for %s", t.Image)
	}
	m := entries[0]
	var img Image
	_, name := lookup(m, "name")
	img.Repository = stringValue(name)
	if _, v := lookup(m, "newName"); v != nil {
		img.Repository = stringValue(v)
	}
	if _, v := lookup(m, "newTag"); v != nil {
		img.Tag, img.Digest = splitTag(stringValue(v))
	}
	if _, v := lookup(m, "digest"); v != nil && stringValue(v) != "" {
		img.Digest = stringValue(v)
	}
	return img, nil
}

// stringValue is the value of a scalar, or "".
func stringValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func endsWithBreak(b []byte) bool {
	for i := len(b) - 3; i < len(b); i++ {
		if i >= 0 && breakLen(b, i) == len(b)-i {
			return true
		}
	}
	return false
}
