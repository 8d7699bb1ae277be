package render

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// dirFiles serves a directory as Files, as a snapshot serves a Git tree.
type dirFiles struct{ fsys fs.FS }

func (d dirFiles) ReadFile(p string) ([]byte, error)       { return fs.ReadFile(d.fsys, p) }
func (d dirFiles) ReadDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, p) }

func testRepo() Files { return dirFiles{os.DirFS("testdata/repo")} }

const testDigest = "sha256:2acd2ab2d1d3b0f1f36f0f6e0e6d5a8d2f0b7c95e5f1ba2f6b6a0d0c7e1f4a91"

var (
	checkout = &config.Application{Name: "checkout", Image: "ghcr.io/acme/checkout"}
	payments = &config.Application{Name: "payments", Image: "ghcr.io/acme/payments"}
)

// edit makes Ferry's edit of t and verifies it by rendering.
func edit(t *testing.T, app *config.Application, target config.Target, tag string) (Report, error) {
	t.Helper()
	files := testRepo()
	src, err := files.ReadFile(target.Path)
	if err != nil {
		t.Fatal(err)
	}
	img := manifest.Image{Repository: app.Image, Tag: tag, Digest: testDigest}
	mt := manifest.Target{Kind: manifest.Kind(target.Kind), Image: app.Image}
	if target.Helm != nil {
		mt.RepositoryPath, mt.TagPath, mt.DigestPath, mt.RegistryPath = target.Helm.Repository, target.Helm.Tag, target.Helm.Digest, target.Helm.Registry
	}
	out, _, err := manifest.Set(target.Path, src, mt, img)
	if err != nil {
		return Report{}, err
	}
	return New().Verify(files, nil, app, target, out, img)
}

func TestVerifyPinsRealCharts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		app    *config.Application
		target config.Target
		kind   string
		images int
	}{
		{"helm create scaffold, implicit digest path: tag@digest",
			checkout, config.Target{Kind: "helm", Path: "envs/scaffold/values-dev.yaml", Chart: "charts/scaffold"}, "helm", 1},
		{"bitnami-style chart: the digest key is read (repo@digest)",
			checkout, config.Target{Kind: "helm", Path: "envs/bitnami/values-dev.yaml", Chart: "charts/bitnami-style"}, "helm", 3},
		{"kustomize overlay over a base, init container too",
			payments, config.Target{Kind: "kustomize", Path: "kustomize/overlay/kustomization.yaml"}, "kustomize", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := edit(t, tt.app, tt.target, "2.1.0")
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.Renderer.Kind != tt.kind || rep.Images != tt.images {
				t.Errorf("report = %+v, want %s with %d pinned containers", rep, tt.kind, tt.images)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	explicit := &config.HelmPaths{Repository: "image.repository", Tag: "image.tag", Digest: "image.digest"}
	tests := []struct {
		name    string
		app     *config.Application
		target  config.Target
		problem Problem
		reason  string
	}{
		{"scaffold with an explicit digest path ignores the digest",
			checkout, config.Target{Kind: "helm", Path: "envs/scaffold/values-dev.yaml", Chart: "charts/scaffold", Helm: explicit},
			Unpinned, "chart charts/scaffold renders `image: ghcr.io/acme/checkout:2.1.0` (Deployment/checkout-scaffold spec.template.spec.containers[0]) — it ignores image.digest; set helm.tag without helm.digest"},
		{"a chart dependency from a remote repository",
			checkout, config.Target{Kind: "helm", Path: "charts/remote-dep/values.yaml"},
			Unrenderable, "depends on redis 20.x.x from oci://registry-1.docker.io/bitnamicharts, which is not vendored"},
		{"a remote kustomize base",
			payments, config.Target{Kind: "kustomize", Path: "kustomize/remote/kustomization.yaml"},
			Unrenderable, `names the remote source "https://github.com/acme/platform//base/payments?ref=v1.0.0"`},
		{"a change beside the image",
			checkout, config.Target{Kind: "helm", Path: "charts/checksum/values.yaml"},
			OtherChange, "changes more than the image of ghcr.io/acme/checkout: Deployment/checkout .spec.template.metadata.annotations.checksum/image"},
		{"verify: render without a renderer",
			checkout, config.Target{Kind: "helm", Path: "envs/scaffold/values-dev.yaml", Verify: "render"},
			Unrenderable, "has verify: render, but no kustomization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := edit(t, tt.app, tt.target, "2.1.0")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %v, want *Error", err)
			}
			if e.Problem != tt.problem || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Verify = %s: %s\nwant %s containing %q", e.Problem, e.Reason, tt.problem, tt.reason)
			}
		})
	}
}

func TestVerifyEditOnlyRendersNothing(t *testing.T) {
	t.Parallel()
	target := config.Target{Kind: "helm", Path: "envs/scaffold/values-dev.yaml", Chart: "charts/scaffold",
		Helm: &config.HelmPaths{Digest: "image.digest"}, Verify: "edit"}
	rep, err := edit(t, checkout, target, "2.1.0")
	if err != nil || rep.Renderer.Kind != "" {
		t.Errorf("Verify = %+v, %v; want nothing rendered", rep, err)
	}
}

func TestHelmForeignRepositoryIsRefusedBeforeRendering(t *testing.T) {
	t.Parallel()
	_, err := edit(t, checkout, config.Target{Kind: "helm", Path: "envs/bitnami/values-foreign.yaml", Chart: "charts/bitnami-style"}, "2.1.0")
	var me *manifest.Error
	if !errors.As(err, &me) || me.Line != 4 || !strings.Contains(me.Reason, `image.registry + image.repository name "docker.io/bitnami/nginx"`) {
		t.Fatalf("edit = %v, want the manifest refusal naming line 4 and what was found", err)
	}
}

func TestVerifyEmptyKustomization(t *testing.T) {
	t.Parallel()
	target := config.Target{Kind: "kustomize", Path: "kustomize/images-only/kustomization.yaml"}
	rep, err := edit(t, payments, target, "2.1.0")
	if err != nil || !rep.Empty || rep.Images != 0 {
		t.Errorf("Verify = %+v, %v; want an empty render, not a failure", rep, err)
	}
	target.Verify = "render"
	_, err = edit(t, payments, target, "2.1.0")
	var e *Error
	if !errors.As(err, &e) || e.Problem != NoImage {
		t.Errorf("with verify: render, Verify = %v; want %s", err, NoImage)
	}
}
