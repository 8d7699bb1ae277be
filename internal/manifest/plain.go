package manifest

import (
	"gopkg.in/yaml.v3"
)

// imageFields returns the image: values in all documents that name repo.
// Aliases are not followed: what they point to is visited where it is defined.
func (f *file) imageFields(repo string) ([]*yaml.Node, error) {
	var found []*yaml.Node
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Kind != yaml.ScalarNode || k.Value != "image" {
					continue
				}
				target := v
				if v.Kind == yaml.AliasNode {
					target = v.Alias
				}
				if target.Kind != yaml.ScalarNode || !sameRepo(splitImage(target.Value).Repository, repo) {
					continue
				}
				if v.Kind == yaml.AliasNode {
					return errorf(f.name, v.Line, "image is an alias (*%s); refusing to break it", v.Value)
				}
				found = append(found, v)
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
		return nil, notFoundf(f.name, 0, "no image: field of %s", repo)
	}
	return found, nil
}

func (e *editor) setManifest(t Target, img Image) error {
	fields, err := e.f.imageFields(t.Image)
	if err != nil {
		return err
	}
	for _, n := range fields {
		if err := e.setScalar(n, formValue(n.Value, img)); err != nil {
			return err
		}
	}
	return nil
}

func (f *file) getManifest(t Target) (Image, error) {
	fields, err := f.imageFields(t.Image)
	if err != nil {
		return Image{}, err
	}
	return splitImage(fields[0].Value), nil
}
