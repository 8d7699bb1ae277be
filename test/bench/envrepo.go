package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// repoSpec describes a generated environment repository.
type repoSpec struct {
	apps    int // applications in ferry.yaml, each with envs/dev/<app>/kustomization.yaml
	files   int // total files, padded with other services' overlays
	commits int // commits of history on main
	// appIDs, when set, are the applications' numbers (appName) instead of
	// 0..apps-1: several repositories share one registry, not a name.
	appIDs []int
	// stage adds a second environment, stage, promoted from dev by pull
	// request (the built-in provider) with one approval required, and
	// its overlays.
	stage bool
}

// names are the spec's applications.
func (s repoSpec) names() []string {
	var out []string
	if s.appIDs != nil {
		for _, i := range s.appIDs {
			out = append(out, appName(i))
		}
		return out
	}
	for i := 0; i < s.apps; i++ {
		out = append(out, appName(i))
	}
	return out
}

// gitEnv makes the git CLI independent of the user's configuration.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@bench.local",
	"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@bench.local",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
}

// git runs the git CLI in dir and returns its trimmed output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func appName(i int) string { return fmt.Sprintf("app%03d", i) }

func appPath(app string) string { return envAppPath("dev", app) }

func envAppPath(env, app string) string { return "envs/" + env + "/" + app + "/kustomization.yaml" }

// appDeployment is what an application's overlay builds on, so that Ferry's
// render verification has a container to find (a missing base would make
// every promotion fail to render).
func appDeployment(env, app string) string { return "envs/" + env + "/" + app + "/deployment.yaml" }

func deployment(image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: %s
`, image)
}

// kustomization is an overlay whose images: entry Ferry and the script edit.
func kustomization(image, tag string) string {
	return fmt.Sprintf(`# Managed by Ferry in dev.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: dev
resources:
  - deployment.yaml
images:
  - name: %s
    newTag: "%s"
    digest: sha256:%064d
replicas:
  - name: web
    count: 1
`, image, tag, 0)
}

// pipeline is ferry.yaml: one commit-mode environment (and with stage, a
// pull-request one after it) and the applications.
func pipeline(reg *registry, apps []string, stage bool) string {
	var b strings.Builder
	b.WriteString("environments:\n  - name: dev\n    promotion: commit\n")
	if stage {
		b.WriteString("  - name: stage\n    from: dev\n    promotion: pull-request\n    gates: {approvals: 1}\n")
	}
	b.WriteString("applications:\n")
	for _, a := range apps {
		fmt.Fprintf(&b, "  - name: %s\n    image: %s\n    target: {kind: kustomize, path: \"envs/{env}/%s/kustomization.yaml\"}\n", a, reg.image(a), a)
	}
	return b.String()
}

// genRepo writes a bare repository at dir/env.git with git fast-import: the
// first commit holds every file, each later one changes one filler file.
func genRepo(ctx context.Context, dir string, reg *registry, s repoSpec) (string, error) {
	bare := filepath.Join(dir, "env.git")
	if _, err := git(ctx, "", "init", "-q", "--bare", "-b", "main", bare); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "git", "fast-import", "--quiet")
	cmd.Dir = bare
	cmd.Env = append(os.Environ(), gitEnv...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(in, 1<<20)
	writeErr := writeHistory(w, reg, s)
	if err := w.Flush(); writeErr == nil {
		writeErr = err
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("git fast-import: %v\n%s", err, out.String())
	}
	if writeErr != nil {
		return "", writeErr
	}
	return bare, nil
}

func writeHistory(w io.Writer, reg *registry, s repoSpec) error {
	data := func(text string) { fmt.Fprintf(w, "data %d\n%s\n", len(text), text) }
	apps := s.names()
	envs := []string{"dev"}
	if s.stage {
		envs = append(envs, "stage")
	}
	filler := max(0, s.files-2*len(apps)*len(envs)-1)
	fillerPath := func(i int) string {
		env := []string{"stage", "prod", "qa", "dr"}[i%4]
		if s.files > 20000 {
			// Above 20k files, a thousand services per directory, as a
			// large monorepo groups them: one directory of 25,000 entries
			// would make every commit of the history rewrite a 1 MB tree.
			return fmt.Sprintf("envs/%s/g%03d/svc%06d/kustomization.yaml", env, i/4000, i)
		}
		return fmt.Sprintf("envs/%s/svc%05d/kustomization.yaml", env, i)
	}
	for c := 0; c < max(1, s.commits); c++ {
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@bench.local> %d +0000\n", 1700000000+c*60)
		if c == 0 {
			data("Seed environment repository\n")
			fmt.Fprintf(w, "M 100644 inline ferry.yaml\n")
			data(pipeline(reg, apps, s.stage))
			for _, a := range apps {
				for _, env := range envs {
					fmt.Fprintf(w, "M 100644 inline %s\n", envAppPath(env, a))
					data(kustomization(reg.image(a), "0.0.0"))
					fmt.Fprintf(w, "M 100644 inline %s\n", appDeployment(env, a))
					data(deployment(reg.image(a)))
				}
			}
			for i := 0; i < filler; i++ {
				fmt.Fprintf(w, "M 100644 inline %s\n", fillerPath(i))
				data(kustomization("ghcr.io/acme/svc"+fmt.Sprint(i), "1.0.0"))
			}
			continue
		}
		data(fmt.Sprintf("svc: stage ← 1.0.%d\n\nFerry-Release: rel_gen_%d\nFerry-Promotion: prm_gen_%d\n", c, c, c))
		if filler == 0 {
			a := apps[c%len(apps)]
			fmt.Fprintf(w, "M 100644 inline %s\n", appPath(a))
			data(kustomization(reg.image(a), fmt.Sprintf("0.0.%d", c)))
			continue
		}
		i := (c * 7) % filler
		fmt.Fprintf(w, "M 100644 inline %s\n", fillerPath(i))
		data(kustomization("ghcr.io/acme/svc"+fmt.Sprint(i), fmt.Sprintf("1.0.%d", c)))
	}
	return nil
}

// commitCount is the number of commits on main of a bare repo.
func commitCount(ctx context.Context, bare string) (int, error) {
	out, err := git(ctx, bare, "rev-list", "--count", "main")
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscan(out, &n)
	return n, err
}
