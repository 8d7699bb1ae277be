package render

import (
	"io/fs"
	"testing"

	"github.com/ferryhq/ferry/deploy/examples"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// TestExampleRepositoryRendersPinned edits every target of the example
// environment repository as a promotion would, in every environment, and
// requires each to render (kustomize or Helm) with the image pinned.
func TestExampleRepositoryRendersPinned(t *testing.T) {
	t.Parallel()
	sub, err := fs.Sub(examples.EnvRepo, "env-repo")
	if err != nil {
		t.Fatal(err)
	}
	files := dirFiles{sub}
	b, err := files.ReadFile("ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := config.ParsePipeline(b, "main")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for i := range p.Applications {
		app := &p.Applications[i]
		for _, env := range p.Environments {
			target := app.TargetFor(env.Name, env.Branch)
			src, err := files.ReadFile(target.Path)
			if err != nil {
				t.Fatal(err)
			}
			img := manifest.Image{Repository: app.Image, Tag: "9.9.9", Digest: testDigest}
			mt := manifest.Target{Kind: manifest.Kind(target.Kind), Image: app.Image, Name: target.Marker}
			if target.Helm != nil {
				mt.RepositoryPath, mt.TagPath, mt.DigestPath = target.Helm.Repository, target.Helm.Tag, target.Helm.Digest
			}
			out, changed, err := manifest.Set(target.Path, src, mt, img)
			if err != nil || !changed {
				t.Fatalf("%s in %s: Set changed=%v err=%v", app.Name, env.Name, changed, err)
			}
			rep, err := New().Verify(files, nil, app, target, out, img)
			if err != nil {
				t.Errorf("%s in %s: %v", app.Name, env.Name, err)
				continue
			}
			if rep.Renderer.Kind == "" || rep.Images == 0 {
				t.Errorf("%s in %s: nothing rendered (%+v)", app.Name, env.Name, rep)
			}
			kinds[rep.Renderer.Kind]++
		}
	}
	if kinds["helm"] != 3 || kinds["kustomize"] != 6 {
		t.Errorf("rendered %v, want 3 charts and 6 kustomizations", kinds)
	}
}
