package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
	"github.com/ferryhq/ferry/internal/render"
)

// renderCharts are real charts the render tests install next to the
// example's own: the unmodified `helm create` scaffold (Helm v3.22) and a
// chart in bitnami's style (registry + repository + tag + digest).
const renderCharts = "../../internal/render/testdata/repo/charts"

// dirFiles serves a checkout as render.Files.
type dirFiles struct{ fsys fs.FS }

func (d dirFiles) ReadFile(p string) ([]byte, error)       { return fs.ReadFile(d.fsys, p) }
func (d dirFiles) ReadDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, p) }

// renderApps are the applications the render test adds to the example's.
func renderApps(host string) string {
	return fmt.Sprintf(`
  - name: scaffold
    image: %[1]s/acme/scaffold
    target: {kind: helm, path: "envs/{env}/scaffold/values.yaml", chart: charts/scaffold}
  - name: bitnami
    image: %[1]s/acme/bitnami
    target: {kind: helm, path: "envs/{env}/bitnami/values.yaml", chart: charts/bitnami-style}
  - name: ignorer
    image: %[1]s/acme/ignorer
    target:
      kind: helm
      path: "envs/{env}/ignorer/values.yaml"
      chart: charts/scaffold
      helm: {tag: image.tag, digest: image.digest}
  - name: foreign
    image: %[1]s/acme/foreign
    target: {kind: helm, path: "envs/{env}/foreign/values.yaml", chart: charts/bitnami-style}
`, host)
}

// TestRenderVerification reports a build of every application to the real
// binary, then renders what it committed with the kustomize API and Helm's
// engine, from the seed and from the new head: every committed target must
// render its image pinned with nothing else changed; the chart that ignores
// image.digest and the values file naming another repository must fail
// their promotion with the reason and leave their files alone.
func TestRenderVerification(t *testing.T) {
	reg := newRegistry(t)
	extra := map[string]string{
		"envs/dev/scaffold/values.yaml": "image:\n  repository: " + reg.host + "/acme/scaffold\n  tag: \"0.0.1\"\n",
		"envs/dev/bitnami/values.yaml":  "image:\n  registry: " + reg.host + "\n  repository: acme/bitnami\n  tag: 0.0.1\n  digest: \"\"\nmetrics:\n  enabled: false\n",
		"envs/dev/ignorer/values.yaml":  "image:\n  repository: " + reg.host + "/acme/ignorer\n  tag: \"0.0.1\"\n",
		"envs/dev/foreign/values.yaml":  "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.27.3\n",
	}
	for _, chart := range []string{"scaffold", "bitnami-style"} {
		root := filepath.Join(renderCharts, chart)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			extra[path.Join("charts", chart, filepath.ToSlash(rel))] = readFile(t, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pipelineText := strings.ReplaceAll(readExample(t, "ferry.yaml"), "registry.example.com", reg.host) + renderApps(reg.host)
	extra["ferry.yaml"] = pipelineText
	s := &stack{reg: reg, data: t.TempDir()}
	s.bare = envRepo(t, reg.host, extra)
	seed := s.head(t)
	addr := freeAddr(t)
	s.f = startFerry(t, addr, "--config", writeConfig(t, serverConfig(addr, s.data, reg.host, s.bare, "")))

	refused := map[string]string{
		"ignorer": "chart charts/scaffold renders `image: " + reg.host + "/acme/ignorer:2.1.0` (Deployment/ignorer-scaffold spec.template.spec.containers[0]) — it ignores image.digest; set helm.tag without helm.digest",
		"foreign": `envs/dev/foreign/values.yaml:3: image.registry + image.repository name "docker.io/bitnami/nginx", not the application's image ` + reg.host + "/acme/foreign",
	}
	pinned := map[string]manifest.Image{}
	for _, app := range []string{"payments", "checkout", "notifier", "scaffold", "bitnami", "ignorer", "foreign"} {
		digest := reg.push(t, "acme/"+app, "2.1.0")
		r := s.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", wildToken,
			strings.NewReader(buildBody(app, reg.host+"/acme/"+app, "2.1.0", digest)))
		var a buildAnswer
		r.json(t, &a)
		if want, ok := refused[app]; ok {
			if a.Promotion.State != "failed" || !strings.Contains(a.Promotion.Reason, want) {
				t.Errorf("%s: promotion %s %q, want failed with %q", app, a.Promotion.State, a.Promotion.Reason, want)
			}
			continue
		}
		if r.status != http.StatusAccepted || a.Promotion.State != "committed" {
			t.Fatalf("%s: %d %s", app, r.status, r.body)
		}
		pinned[app] = manifest.Image{Repository: reg.host + "/acme/" + app, Tag: "2.1.0", Digest: digest}
	}

	// Render what the binary committed, from a checkout of the seed and one
	// of the head, as the deploy tool would see them.
	before, after := s.clone(t), s.clone(t)
	git(t, before, "checkout", "-q", seed)
	p, err := config.ParsePipeline([]byte(pipelineText), "main")
	if err != nil {
		t.Fatal(err)
	}
	var targets, verified, unpinned, foreign, other int
	for i := range p.Applications {
		app := &p.Applications[i]
		if app.Name == "gone" || app.Name == "elsewhere" {
			continue
		}
		targets++
		target := app.TargetFor("dev", "main")
		old, now := readFile(t, filepath.Join(before, target.Path)), readFile(t, filepath.Join(after, target.Path))
		img, ok := pinned[app.Name]
		if !ok {
			if old != now {
				t.Errorf("%s: refused, yet %s changed", app.Name, target.Path)
				if app.Name == "foreign" {
					foreign++
				} else {
					unpinned++
				}
			}
			continue
		}
		rep, err := render.New().Verify(dirFiles{os.DirFS(before)}, nil, app, target, []byte(now), img)
		var re *render.Error
		switch {
		case errors.As(err, &re) && re.Problem == render.Unpinned:
			unpinned++
		case errors.As(err, &re) && re.Problem == render.ForeignWrite:
			foreign++
		case errors.As(err, &re) && re.Problem == render.OtherChange:
			other++
		}
		if err != nil {
			t.Errorf("%s: rendering the committed %s: %v", app.Name, target.Path, err)
			continue
		}
		if rep.Renderer.Kind == "" || rep.Images == 0 {
			t.Errorf("%s: %s did not render (%+v)", app.Name, target.Path, rep)
			continue
		}
		verified++
	}
	fmt.Printf("render: targets=%d verified=%d unpinned_renders=%d foreign_repo_writes=%d other_changes=%d\n",
		targets, verified, unpinned, foreign, other)
	if targets != 7 || verified != 5 {
		t.Errorf("targets=%d verified=%d, want 7 and 5", targets, verified)
	}
}
