package render

import (
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// benchVerify measures what render verification adds to one promotion: two
// renders (before and after the edit) and the comparison.
func benchVerify(b *testing.B, app *config.Application, target config.Target) {
	files := testRepo()
	src, err := files.ReadFile(target.Path)
	if err != nil {
		b.Fatal(err)
	}
	img := manifest.Image{Repository: app.Image, Tag: "2.1.0", Digest: testDigest}
	out, _, err := manifest.Set(target.Path, src, manifest.Target{Kind: manifest.Kind(target.Kind), Image: app.Image}, img)
	if err != nil {
		b.Fatal(err)
	}
	v := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(files, nil, app, target, out, img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyKustomizeOverlay(b *testing.B) {
	benchVerify(b, payments, config.Target{Kind: "kustomize", Path: "kustomize/overlay/kustomization.yaml"})
}

func BenchmarkVerifyHelmScaffoldChart(b *testing.B) {
	benchVerify(b, checkout, config.Target{Kind: "helm", Path: "envs/scaffold/values-dev.yaml", Chart: "charts/scaffold"})
}

func BenchmarkVerifyBitnamiStyleChart(b *testing.B) {
	benchVerify(b, checkout, config.Target{Kind: "helm", Path: "envs/bitnami/values-dev.yaml", Chart: "charts/bitnami-style"})
}
