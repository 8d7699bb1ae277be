package render

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
)

// renderKustomize builds the kustomization in dir as `kustomize build` does
// with its default options (load restrictions to the root, no plugins).
func renderKustomize(files Files, dir string) ([]byte, error) {
	fsys := newLazyFS(files)
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, "/"+dir)
	if fsys.err != nil {
		return nil, fsys.err
	}
	if err != nil {
		return nil, fmt.Errorf("building kustomization %s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("writing the output of kustomization %s: %w", dir, err)
	}
	return out, nil
}
