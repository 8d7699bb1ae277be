package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Kind is the kind of place an image is written to.
type Kind string

// Kinds of targets.
const (
	Kustomize Kind = "kustomize"
	Helm      Kind = "helm"
	Manifest  Kind = "manifest"
	Marker    Kind = "marker"
)

// Target says where in a file an application's image lives.
type Target struct {
	Kind Kind
	// Image is the application's image repository (e.g. "ghcr.io/acme/payments"); kustomize matches
	// an images: entry whose name or newName equals it; manifest matches image: fields of that repository
	// (ignoring tag/digest, and treating "docker.io/library/x", "docker.io/x" and "x" as the same repo).
	Image string
	// Helm: dotted paths; defaults "image.repository", "image.tag", "image.digest".
	// If the path named by RepositoryPath holds a single string "repo:tag[@digest]" (the string form), it is rewritten whole.
	// The repository found there (prefixed by the registry at RegistryPath, default: a "registry" key next to the
	// repository key) must name Image. A DigestPath set explicitly is added next to the tag when absent; with the
	// default digest path and no digest key, "tag@digest" is written into the tag.
	RepositoryPath, TagPath, DigestPath, RegistryPath string
	// Marker: the name in markers such as "# ferry:image payments", "# ferry:tag payments", "# ferry:digest payments".
	Name string
}

// Image is what gets written or read back.
type Image struct {
	Repository, Tag, Digest string
}

// String returns repo:tag@digest, leaving out the parts that are empty.
func (i Image) String() string {
	s := i.Repository
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

var (
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$`)
)

// validate checks that img is a complete, pinned reference whose characters
// need no quoting or escaping in any YAML scalar style.
func (i Image) validate() error {
	if _, err := name.NewRepository(i.Repository, name.WeakValidation); err != nil {
		return fmt.Errorf("parsing repository %q: %w", i.Repository, err)
	}
	if !tagRE.MatchString(i.Tag) {
		return fmt.Errorf("invalid tag %q", i.Tag)
	}
	if !digestRE.MatchString(i.Digest) {
		return fmt.Errorf("invalid digest %q: want sha256:<64 hex> or sha512:<128 hex>", i.Digest)
	}
	return nil
}

// ParseImage parses "repo:tag@digest". The tag and the digest are optional;
// it checks the syntax only.
func ParseImage(ref string) (Image, error) {
	img := splitImage(ref)
	if _, err := name.NewRepository(img.Repository, name.WeakValidation); err != nil {
		return Image{}, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	if img.Tag != "" && !tagRE.MatchString(img.Tag) {
		return Image{}, fmt.Errorf("parsing reference %q: invalid tag %q", ref, img.Tag)
	}
	if img.Digest != "" && !digestRE.MatchString(img.Digest) {
		return Image{}, fmt.Errorf("parsing reference %q: invalid digest %q", ref, img.Digest)
	}
	return img, nil
}

// splitImage splits "repo:tag@digest" without validating it; the repository
// keeps its spelling.
func splitImage(s string) Image {
	var img Image
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s, img.Digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && i > strings.LastIndexByte(s, '/') {
		s, img.Tag = s[:i], s[i+1:]
	}
	img.Repository = s
	return img
}

// splitTag splits a tag field that may hold "tag@digest".
func splitTag(s string) (tag, digest string) {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// canonicalRepo returns the repository's full name with Docker Hub defaults
// filled in, or "" when s is not a repository name.
func canonicalRepo(s string) string {
	r, err := name.NewRepository(s, name.WeakValidation)
	if err != nil {
		return ""
	}
	return r.Name()
}

// sameRepo reports whether a and b name the same repository.
func sameRepo(a, b string) bool {
	if a == b {
		return a != ""
	}
	ca := canonicalRepo(a)
	return ca != "" && ca == canonicalRepo(b)
}
