package render

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// kustomizationNames are the file names kustomize builds a directory from.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func isKustomization(name string) bool {
	for _, n := range kustomizationNames {
		if name == n {
			return true
		}
	}
	return false
}

// refuseRemote refuses a kustomization that names a remote base, component
// or resource (a Git URL or HTTP file), or a Helm chart kustomize would
// pull: rendering must not reach the network, and what it would fetch is
// not in the repository Ferry reviews. Remote sources are out of scope.
func refuseRemote(file string, b []byte) error {
	var k struct {
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
		HelmCharts []any    `yaml:"helmCharts"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		return nil // kustomize reports the YAML error itself
	}
	if len(k.HelmCharts) > 0 {
		return fmt.Errorf("%s inflates helmCharts, which pulls charts from remote repositories; remote sources are not rendered: set verify: edit on the target", file)
	}
	for _, list := range [][]string{k.Resources, k.Bases, k.Components} {
		for _, r := range list {
			if isRemote(r) {
				return fmt.Errorf("%s names the remote source %q; remote sources are not rendered: vendor it into the repository, or set verify: edit on the target", file, r)
			}
		}
	}
	return nil
}

// isRemote matches what kustomize would fetch: URLs, scp-like Git
// addresses and its "host/org/repo//path?ref=" forms.
func isRemote(r string) bool {
	return strings.Contains(r, "://") || strings.HasPrefix(r, "git@") || strings.Contains(r, "//") ||
		strings.Contains(r, "?ref=") || strings.Contains(r, "_git/") ||
		strings.HasPrefix(r, "github.com/") || strings.HasPrefix(r, "gitlab.com/") || strings.HasPrefix(r, "bitbucket.org/")
}
