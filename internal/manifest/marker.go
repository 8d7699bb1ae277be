package manifest

import (
	"regexp"

	"gopkg.in/yaml.v3"
)

var markerRE = regexp.MustCompile(`ferry:(image|tag|digest)\s+(\S+)`)

// marked is a value carrying a marker; key is set when the value is a pair's.
type marked struct {
	what     string // image, tag or digest
	key, val *yaml.Node
}

// markers returns the values marked for name. yaml.v3 puts the comment of
// "key: value # c" on the value, but that of "key: # c" on the key.
func (f *file) markers(name string) ([]marked, error) {
	var found []marked
	check := func(comment string, key, val *yaml.Node, line int) error {
		for _, m := range markerRE.FindAllStringSubmatch(comment, -1) {
			if m[2] != name {
				continue
			}
			if val == nil || (val.Kind != yaml.ScalarNode && val.Kind != yaml.AliasNode) {
				return errorf(f.name, line, "marker ferry:%s %s is not on a string value", m[1], name)
			}
			found = append(found, marked{what: m[1], key: key, val: val})
		}
		return nil
	}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.LineComment != "" {
					var val *yaml.Node
					if v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" && v.Line == k.Line {
						val = v
					}
					if err := check(k.LineComment, k, val, k.Line); err != nil {
						return err
					}
				}
				if v.LineComment != "" {
					if err := check(v.LineComment, k, v, v.Line); err != nil {
						return err
					}
				}
				if err := walk(v); err != nil {
					return err
				}
			}
			return nil
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if c.LineComment != "" {
					if err := check(c.LineComment, nil, c, c.Line); err != nil {
						return err
					}
				}
			}
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
			return nil, err
		}
	}
	if len(found) == 0 {
		return nil, notFoundf(f.name, 0, "no ferry:image, ferry:tag or ferry:digest marker for %s", name)
	}
	seen := map[*yaml.Node]string{}
	for _, m := range found {
		if w, ok := seen[m.val]; ok && w != m.what {
			return nil, errorf(f.name, m.val.Line, "one value carries both ferry:%s and ferry:%s markers for %s", w, m.what, name)
		}
		seen[m.val] = m.what
	}
	return found, nil
}

func (e *editor) setMarker(t Target, img Image) error {
	ms, err := e.f.markers(t.Name)
	if err != nil {
		return err
	}
	hasDigest := false
	for _, m := range ms {
		hasDigest = hasDigest || m.what == "digest"
	}
	for _, m := range ms {
		var v string
		switch m.what {
		case "image":
			v = formValue(stringValue(m.val), img)
		case "tag":
			v = img.Tag
			if !hasDigest {
				v += "@" + img.Digest
			}
		case "digest":
			v = img.Digest
		}
		if m.key == nil {
			err = e.setScalar(m.val, v)
		} else {
			err = e.setValue(m.key, m.val, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *file) getMarker(t Target) (Image, error) {
	ms, err := f.markers(t.Name)
	if err != nil {
		return Image{}, err
	}
	img := Image{Repository: t.Image}
	for _, m := range ms {
		v := stringValue(m.val)
		switch m.what {
		case "image":
			got := splitImage(v)
			img.Repository, img.Tag = got.Repository, got.Tag
			if got.Digest != "" {
				img.Digest = got.Digest
			}
		case "tag":
			tag, d := splitTag(v)
			img.Tag = tag
			if d != "" && img.Digest == "" {
				img.Digest = d
			}
		case "digest":
			img.Digest = v
		}
	}
	return img, nil
}
