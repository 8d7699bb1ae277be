package manifest

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// registryPath is the path of the registry that prefixes the repository:
// t.RegistryPath when set, else a "registry" key next to the repository key
// (bitnami's image.registry + image.repository).
func registryPath(t Target, repoPath string) string {
	if t.RegistryPath != "" {
		return t.RegistryPath
	}
	if i := strings.LastIndexByte(repoPath, '.'); i >= 0 {
		return repoPath[:i+1] + "registry"
	}
	return "registry"
}

// repoValue is the repository the values file names: the repository value,
// prefixed by the registry value when that is a non-empty string.
func (s *helmSpot) repoValue() string {
	r := stringValue(s.repo.val)
	if r == "" {
		return ""
	}
	if reg := stringValue(s.registry.val); reg != "" && s.registry.val.Kind == yaml.ScalarNode {
		return strings.TrimSuffix(reg, "/") + "/" + r
	}
	return r
}

// checkHelmRepo refuses to write the application's tag and digest next to a
// repository that names another image: the result ("nginx@<our digest>")
// would be an image that does not exist. A file without a repository value
// (the chart's defaults hold it) is not refused here; render verification
// sees the repository the chart really uses.
func (f *file) checkHelmRepo(t Target, s *helmSpot, img Image) error {
	want := t.Image
	if want == "" {
		want = img.Repository
	}
	if s.form != nil {
		if got := splitImage(s.form.Value).Repository; !sameRepo(got, want) {
			return errorf(f.name, s.form.Line, "%s is %q, an image of %s, not of the application's %s; refusing to write its tag and digest there", s.repoPath, s.form.Value, got, want)
		}
		return nil
	}
	got := s.repoValue()
	if got == "" || sameRepo(got, want) {
		return nil
	}
	what := s.repoPath + " is " + quote(stringValue(s.repo.val))
	if got != stringValue(s.repo.val) {
		what = s.regPath + " + " + s.repoPath + " name " + quote(got)
	}
	return errorf(f.name, s.repo.val.Line, "%s, not the application's image %s; refusing to write its tag and digest there", what, want)
}

func quote(s string) string { return `"` + s + `"` }
