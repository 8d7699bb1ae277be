package manifest

import "gopkg.in/yaml.v3"

// checkDuplicateKeys refuses a mapping that holds the same key twice, naming
// the second occurrence. YAML forbids it, and tools disagree on which one
// counts: Ferry would edit the first while a tool that takes the last deploys
// the old image. The whole file is checked, not just the path Ferry edits,
// because kustomize and Helm refuse such a file anyway. Keys are the same
// when their resolved tag and value are (tag and "tag" are; 1 and "1" are
// not); keys that are not scalars are left alone.
func (f *file) checkDuplicateKeys() error {
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			seen := make(map[[2]string]int, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode {
					continue
				}
				id := [2]string{k.ShortTag(), k.Value}
				if first, dup := seen[id]; dup {
					return errorf(f.name, k.Line, "duplicate key %q (first at line %d); refusing to guess which one counts", k.Value, first)
				}
				seen[id] = k.Line
			}
		}
		// Aliases are not followed: their anchor is walked where it stands.
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
