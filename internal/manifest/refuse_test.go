package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const testDigest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var testImage = Image{Repository: "ghcr.io/acme/payments", Tag: "v1.4.2", Digest: testDigest}

func TestSetRefuses(t *testing.T) {
	t.Parallel()
	kustomize := Target{Kind: Kustomize, Image: "ghcr.io/acme/payments"}
	helm := Target{Kind: Helm}
	helmApp := Target{Kind: Helm, Image: "ghcr.io/acme/payments"}
	manifest := Target{Kind: Manifest, Image: "ghcr.io/acme/payments"}
	marker := Target{Kind: Marker, Name: "payments"}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"image: {tag: v1}\n"
	tests := []struct {
		name     string
		src      string
		target   Target
		img      Image
		opts     []Option
		line     int
		reason   string
		notFound bool
	}{
		{"invalid yaml", "image:\n  tag: v1\n   bad: [\n", helm, testImage, nil, 3, "invalid YAML", false},
		{"invalid yaml first line", ": : :\n", helm, testImage, nil, 1, "invalid YAML: did not find expected key", false},
		{"tag is a map", "image:\n  repository: ghcr.io/acme/payments\n  tag:\n    name: v1\n", helm, testImage, nil, 4, "image.tag is a mapping, expected a string", false},
		{"tag is an alias", "defaults: &t v1\nimage:\n  tag: *t\n", helm, testImage, nil, 3, "value is an alias (*t)", false},
		{"tag is anchored and used", "image:\n  tag: &t v1\nother:\n  tag: *t\n", helm, testImage, nil, 2, "anchored as &t and used by 1 alias", false},
		{"helm path through alias", "base: &base\n  tag: v1\nimage: *base\n", helm, testImage, nil, 3, "goes through alias *base", false},
		{"helm path through anchor used elsewhere", "image: &img\n  tag: v1\nworker:\n  image: *img\n", helm, testImage, nil, 1, "goes through &img", false},
		{"block scalar", "image:\n  tag: |\n    v1\n", helm, testImage, nil, 2, "block scalar", false},
		{"multi-line plain", "image:\n  tag: v1\n    continued\n", helm, testImage, nil, 2, "spans several lines", false},
		{"size limit", "image:\n  tag: v1\n", helm, testImage, []Option{WithMaxBytes(10)}, 0, "over the limit of 10 bytes", false},
		{"alias bomb", bomb, helm, testImage, nil, 4, "YAML bomb", false},
		{"alias bomb with low limit", "a: &a [x, y]\nb: [*a, *a]\n", helm, testImage, []Option{WithMaxAliasExpansion(4)}, 2, "more than 4 nodes", false},
		{"recursive alias", "a: &a [*a]\n", helm, testImage, nil, 1, "contains it", false},
		{"not utf-8", "image:\n  tag: \xff\n", helm, testImage, nil, 2, "not valid UTF-8", false},
		{"image field is an alias", "x: &i ghcr.io/acme/payments:v1\nimage: *i\n", manifest, testImage, nil, 2, "image is an alias (*i)", false},
		{"kustomize images is a map", "images:\n  name: x\n", kustomize, testImage, nil, 2, "images is a mapping, expected a list", false},
		{"kustomize newTag is a map", "images:\n- name: ghcr.io/acme/payments\n  newTag: {a: b}\n", kustomize, testImage, nil, 3, "found a mapping where a string is expected", false},
		{"kustomize flow root", "{resources: [a.yaml]}\n", kustomize, testImage, nil, 1, "flow-style mapping", false},
		{"marker on a mapping", "app: # ferry:tag payments\n  a: b\n", marker, testImage, nil, 1, "marker ferry:tag payments is not on a string value", false},
		{"two markers on one value", "tag: v1 # ferry:tag payments ferry:digest payments\n", marker, testImage, nil, 1, "both ferry:tag and ferry:digest markers", false},
		{"no digest", "image:\n  tag: v1\n", helm, Image{Repository: "ghcr.io/acme/payments", Tag: "v1"}, nil, 0, "invalid digest", false},
		{"no tag", "image:\n  tag: v1\n", helm, Image{Repository: "ghcr.io/acme/payments", Digest: testDigest}, nil, 0, "invalid tag", false},
		{"manifest without that repo", "image: ghcr.io/acme/payments-worker:v1\n", manifest, testImage, nil, 0, "no image: field of ghcr.io/acme/payments", true},
		{"no marker", "tag: v1 # ferry:tag ledger\n", marker, testImage, nil, 0, "no ferry:image, ferry:tag or ferry:digest marker for payments", true},
		{"helm without tag path", "replicas: 1\n", helm, testImage, nil, 0, "no image.tag", true},
		{"kustomize empty file", "", kustomize, testImage, nil, 0, "no kustomization", true},
		{"helm foreign repository", "image:\n  repository: docker.io/bitnami/nginx\n  tag: 1.27.0\n", helmApp, testImage, nil, 2, `image.repository is "docker.io/bitnami/nginx", not the application's image ghcr.io/acme/payments`, false},
		{"helm foreign repository, docker hub short name", "image:\n  repository: nginx\n  tag: 1.27.0\n", helmApp, testImage, nil, 2, `image.repository is "nginx", not the application's image`, false},
		{"helm foreign registry", "image:\n  registry: docker.io\n  repository: acme/payments\n  tag: 1.4.1\n", helmApp, testImage, nil, 3, `image.registry + image.repository name "docker.io/acme/payments", not the application's image ghcr.io/acme/payments`, false},
		{"helm foreign registry path", "global:\n  imageRegistry: quay.io\nimage:\n  repository: acme/payments\n  tag: 1.4.1\n", Target{Kind: Helm, Image: "ghcr.io/acme/payments", RegistryPath: "global.imageRegistry"}, testImage, nil, 4, `global.imageRegistry + image.repository name "quay.io/acme/payments"`, false},
		{"helm foreign string form", "image: docker.io/bitnami/nginx:1.27.0\n", helmApp, testImage, nil, 1, `an image of docker.io/bitnami/nginx, not of the application's ghcr.io/acme/payments`, false},
		{"helm explicit digest path elsewhere", "image:\n  repository: ghcr.io/acme/payments\n  tag: v1\npins:\n  x: y\n", Target{Kind: Helm, Image: "ghcr.io/acme/payments", DigestPath: "pins.payments"}, testImage, nil, 3, "pins.payments is absent and not next to image.tag", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, changed, err := Set("env/dev/values.yaml", []byte(tt.src), tt.target, tt.img, tt.opts...)
			if out != nil || changed {
				t.Errorf("Set returned output %q, changed=%v; want nil, false", out, changed)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Set error = %v (%T), want *Error", err, err)
			}
			if e.File != "env/dev/values.yaml" || e.Line != tt.line || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("error = %q (line %d), want line %d and reason containing %q", e, e.Line, tt.line, tt.reason)
			}
			if errors.Is(err, ErrTargetNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrTargetNotFound) = %v, want %v", !tt.notFound, tt.notFound)
			}
			if tt.line > 0 && !strings.HasPrefix(e.Error(), "env/dev/values.yaml:"+strconv.Itoa(tt.line)+": ") {
				t.Errorf("Error() = %q, want file:line: prefix", e.Error())
			}
		})
	}
}

func TestValidatePath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "env", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(outside, filepath.Join(root, "escape")))
	must(t, os.Symlink(filepath.Join(root, "env"), filepath.Join(root, "inner")))
	must(t, os.Symlink(filepath.Join(outside, "missing"), filepath.Join(root, "dangling")))
	tests := []struct {
		rel    string
		reason string // "" when accepted
	}{
		{"env/dev/values.yaml", ""},
		{"env/new/dir/values.yaml", ""},
		{"inner/dev/values.yaml", ""},
		{"", "empty path"},
		{"/etc/passwd", "absolute"},
		{"../other/values.yaml", "climbs out"},
		{"env/../../x.yaml", "climbs out"},
		{"escape/values.yaml", "symbolic link"},
		{"dangling", "resolving path"},
	}
	for _, tt := range tests {
		err := ValidatePath(root, tt.rel)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("ValidatePath(%q) = %v, want nil", tt.rel, err)
		case tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)):
			t.Errorf("ValidatePath(%q) = %v, want error containing %q", tt.rel, err, tt.reason)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
