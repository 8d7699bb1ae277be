// Package deploy_test checks the Kubernetes manifests and the Helm chart in
// deploy/: every document parses, the kinds Ferry needs to run as several
// replicas are there with the fields that matter, and the config they mount
// is a valid ferry-server.yaml on PostgreSQL. No cluster, docker or helm
// binary runs here: the chart is rendered with text/template and the few
// Helm functions its templates use, and, for image.digest, with Helm's Go
// engine through Ferry's render verification.
package deploy_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
	"github.com/ferryhq/ferry/internal/render"
)

type doc = map[string]any

// get walks a document by keys (strings) and list indexes (ints).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// parseDocs decodes every YAML document of b.
func parseDocs(t *testing.T, name string, b []byte) []doc {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []doc
	for {
		var d doc
		err := dec.Decode(&d)
		if err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%s: %v", name, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	var docs []doc
	for _, f := range []string{"configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml"} {
		b, err := os.ReadFile(filepath.Join("kubernetes", f))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, parseDocs(t, f, b)...)
	}
	checkManifests(t, docs)

	// The kustomization lists exactly those files, and the example Secret
	// has the keys the Deployment reads.
	b, err := os.ReadFile("kubernetes/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := parseDocs(t, "kustomization.yaml", b)[0]
	want := []any{"configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml"}
	if !reflect.DeepEqual(k["resources"], want) {
		t.Errorf("kustomization resources = %v, want %v", k["resources"], want)
	}
	b, err = os.ReadFile("kubernetes/secret.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secret := parseDocs(t, "secret.example.yaml", b)[0]
	for _, ref := range secretRefs(docs) {
		if get(secret, "metadata", "name") != ref.name || get(secret, "stringData", ref.key) == nil {
			t.Errorf("secret.example.yaml has no key %s/%s", ref.name, ref.key)
		}
	}
}

func TestHelmChart(t *testing.T) {
	docs := renderChart(t, "helm/ferry")
	checkManifests(t, docs)
	// The chart renders what deploy/kubernetes holds: same kinds and names
	// (the chart adds an instance label).
	names := func(ds []doc) []string {
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%v/%v", d["kind"], get(d, "metadata", "name")))
		}
		return out
	}
	var plain []doc
	for _, f := range []string{"configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml"} {
		b, _ := os.ReadFile(filepath.Join("kubernetes", f))
		plain = append(plain, parseDocs(t, f, b)...)
	}
	if got, want := names(docs), names(plain); !reflect.DeepEqual(got, want) {
		t.Errorf("chart renders %v, deploy/kubernetes has %v", got, want)
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"AS build",                      // multi-stage
		"CGO_ENABLED=0",                 // static binary
		"FROM gcr.io/distroless/static", // CA certs, no shell
		"COPY --from=build",
		"USER 65532:65532", // non-root
		`ENTRYPOINT ["/usr/local/bin/ferry"]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Count(s, "\nFROM ") < 2 {
		t.Error("Dockerfile is not multi-stage")
	}
}

// checkManifests checks what running Ferry as several replicas needs.
func checkManifests(t *testing.T, docs []doc) {
	t.Helper()
	byKind := map[string]doc{}
	for _, d := range docs {
		kind, _ := d["kind"].(string)
		if d["apiVersion"] == nil || kind == "" || get(d, "metadata", "name") == nil {
			t.Errorf("document without apiVersion, kind or metadata.name: %v", d)
			continue
		}
		if _, dup := byKind[kind]; dup {
			t.Errorf("two %s documents", kind)
		}
		byKind[kind] = d
	}
	dep, cm, svc, pdb := byKind["Deployment"], byKind["ConfigMap"], byKind["Service"], byKind["PodDisruptionBudget"]
	if dep == nil || cm == nil || svc == nil || pdb == nil {
		t.Fatalf("kinds = %v, want Deployment, ConfigMap, Service and PodDisruptionBudget", keys(byKind))
	}
	spec := get(dep, "spec", "template", "spec")
	c := get(spec, "containers", 0)
	checks := []struct {
		what      string
		got, want any
	}{
		{"deployment replicas", get(dep, "spec", "replicas"), 3},
		{"readiness probe", get(c, "readinessProbe", "httpGet", "path"), "/readyz"},
		{"liveness probe", get(c, "livenessProbe", "httpGet", "path"), "/healthz"},
		{"pod runAsNonRoot", get(spec, "securityContext", "runAsNonRoot"), true},
		{"readOnlyRootFilesystem", get(c, "securityContext", "readOnlyRootFilesystem"), true},
		{"allowPrivilegeEscalation", get(c, "securityContext", "allowPrivilegeEscalation"), false},
		{"pdb minAvailable", get(pdb, "spec", "minAvailable"), 2},
		{"pdb selector", get(pdb, "spec", "selector", "matchLabels"), get(dep, "spec", "selector", "matchLabels")},
		{"service selector", get(svc, "spec", "selector"), get(dep, "spec", "selector", "matchLabels")},
		{"service targetPort", get(svc, "spec", "ports", 0, "targetPort"), get(c, "ports", 0, "name")},
		{"config volume", get(spec, "volumes", 0, "configMap", "name"), get(cm, "metadata", "name")},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) || ch.got == nil {
			t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
		}
	}
	for k, v := range get(dep, "spec", "selector", "matchLabels").(map[string]any) {
		if get(dep, "spec", "template", "metadata", "labels", k) != v {
			t.Errorf("pod template lacks the selector's label %s=%v", k, v)
		}
	}
	if g, _ := get(spec, "terminationGracePeriodSeconds").(int); g < 30 {
		t.Errorf("terminationGracePeriodSeconds = %v, want at least 30", get(spec, "terminationGracePeriodSeconds"))
	}
	for _, r := range []string{"cpu", "memory"} {
		if get(c, "resources", "requests", r) == nil {
			t.Errorf("no %s request", r)
		}
	}
	if get(c, "lifecycle", "preStop") == nil {
		t.Error("no preStop hook")
	}

	// The mounted config is a valid ferry-server.yaml on PostgreSQL, its
	// secrets read from the environment the Secret fills.
	for _, ref := range secretRefs(docs) {
		t.Setenv(ref.env, "value-of-"+ref.env)
	}
	text, _ := get(cm, "data", "ferry-server.yaml").(string)
	cfg, err := config.ParseServer(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ferry-server.yaml in the ConfigMap: %v", err)
	}
	if cfg.Store.Driver != "postgres" || !strings.HasPrefix(cfg.Store.DSN.Value(), "value-of-") {
		t.Errorf("store = %s with a DSN not from the Secret", cfg.Store.Driver)
	}
	if port := fmt.Sprint(get(c, "ports", 0, "containerPort")); !strings.HasSuffix(cfg.Listen, ":"+port) {
		t.Errorf("config listens on %s, the container port is %s", cfg.Listen, port)
	}
	args := fmt.Sprint(get(c, "args"))
	if !strings.Contains(args, fmt.Sprint(get(c, "volumeMounts", 0, "mountPath"))+"/ferry-server.yaml") {
		t.Errorf("args %s do not name the mounted config", args)
	}
	mounted := false
	for i := range 5 {
		if get(c, "volumeMounts", i, "mountPath") == cfg.DataDir {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("dataDir %s is not a mounted volume (the root filesystem is read-only)", cfg.DataDir)
	}
}

type secretRef struct{ env, name, key string }

// secretRefs lists the container's environment variables taken from Secrets.
func secretRefs(docs []doc) []secretRef {
	var out []secretRef
	for _, d := range docs {
		if d["kind"] != "Deployment" {
			continue
		}
		env, _ := get(d, "spec", "template", "spec", "containers", 0, "env").([]any)
		for _, e := range env {
			if ref := get(e, "valueFrom", "secretKeyRef"); ref != nil {
				out = append(out, secretRef{fmt.Sprint(get(e, "name")), fmt.Sprint(get(ref, "name")), fmt.Sprint(get(ref, "key"))})
			}
		}
	}
	return out
}

func keys(m map[string]doc) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// renderChart renders the chart's templates with its default values, as
// `helm template ferry` would, with the Helm functions they use.
func renderChart(t *testing.T, dir string) []doc {
	t.Helper()
	var values, chart map[string]any
	for f, v := range map[string]*map[string]any{"values.yaml": &values, "Chart.yaml": &chart} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	tpl := template.New("chart").Option("missingkey=zero")
	tpl.Funcs(template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b bytes.Buffer
			err := tpl.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"toYaml": func(v any) (string, error) {
			var b bytes.Buffer
			enc := yaml.NewEncoder(&b)
			enc.SetIndent(2)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		},
		"nindent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"default": func(def, v any) any {
			if v == nil || v == "" {
				return def
			}
			return v
		},
		"sha256sum": func(s string) string {
			h := sha256.Sum256([]byte(s))
			return hex.EncodeToString(h[:])
		},
	})
	files, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates in %s: %v", dir, err)
	}
	if _, err := tpl.ParseFiles(files...); err != nil {
		t.Fatal(err)
	}
	data := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": "ferry", "Namespace": "default"},
		"Chart":   map[string]any{"Name": chart["name"], "AppVersion": chart["appVersion"], "Version": chart["version"]},
	}
	var docs []doc
	for _, name := range []string{"configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml"} {
		var b bytes.Buffer
		if err := tpl.ExecuteTemplate(&b, name, data); err != nil {
			t.Fatalf("rendering %s: %v", name, err)
		}
		docs = append(docs, parseDocs(t, name, b.Bytes())...)
	}
	if len(files) != 5 {
		t.Errorf("templates = %v, want _helpers.tpl and the four rendered here", files)
	}
	return docs
}

// TestHelmChartPinsDigest renders the chart with Helm's own engine, as Ferry
// does, before and after Ferry sets image.tag and image.digest in its
// values.yaml: the Deployment must run repository:tag@digest and nothing
// else may change.
func TestHelmChartPinsDigest(t *testing.T) {
	files := dirFiles{os.DirFS(".")}
	const path = "helm/ferry/values.yaml"
	src, err := files.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	app := &config.Application{Name: "ferry", Image: "ghcr.io/ferryhq/ferry"}
	img := manifest.Image{Repository: app.Image, Tag: "1.2.3",
		Digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	target := config.Target{Kind: "helm", Path: path}
	out, changed, err := manifest.Set(path, src, manifest.Target{Kind: manifest.Helm, Image: app.Image}, img)
	if err != nil || !changed {
		t.Fatalf("Set: changed=%v err=%v", changed, err)
	}
	if !strings.Contains(string(out), `digest: "`+img.Digest+`"`) {
		t.Fatalf("Set did not write image.digest:\n%s", out)
	}
	rep, err := render.New().Verify(files, nil, app, target, out, img)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Renderer.Kind != "helm" || rep.Images != 1 {
		t.Errorf("report = %+v, want the chart with one pinned container", rep)
	}
}

// dirFiles serves a directory as render.Files.
type dirFiles struct{ fsys fs.FS }

func (d dirFiles) ReadFile(p string) ([]byte, error)       { return fs.ReadFile(d.fsys, p) }
func (d dirFiles) ReadDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, p) }
