package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const (
	ciToken    = "ci-token-0123456789abcdef"
	readToken  = "read-token-0123456789abcdef"
	otherToken = "other-token-0123456789abcdef"
	wildToken  = "platform-token-0123456789abcdef"
)

// stack is a running ferry with its registry and environment repo.
type stack struct {
	reg  *testRegistry
	bare string
	f    *ferry
	data string
}

// serverConfig is a config for a ferry writing to bare and trusting reg.
func serverConfig(addr, data, regHost, bare, extra string) string {
	return fmt.Sprintf(`listen: %s
dataDir: %s
registries:
  - host: %s
    insecure: true
  - host: 127.0.0.1:1
    insecure: true
repositories:
  - name: envs
    url: %s
    branch: main
    author: {name: Ferry Test, email: ferry@test.local}
tokens:
  - name: ci
    sha256: %s
    scopes: [builds:write]
    applications: [payments, checkout, notifier, gone, elsewhere]
  - name: reader
    sha256: %s
    scopes: [read]
  - name: other-team
    sha256: %s
    scopes: [builds:write, read]
    applications: [checkout]
  - name: platform
    sha256: %s
    scopes: [builds:write]
    applications: ["*"]
worker:
  batchWindow: 0s
  pollInterval: 500ms
log:
  level: debug
%s`, addr, data, regHost, bare, sha(ciToken), sha(readToken), sha(otherToken), sha(wildToken), extra)
}

// extraApps adds applications whose images live where Ferry must not or
// cannot go.
const extraApps = `
  - name: gone
    image: 127.0.0.1:1/acme/gone
    target: {kind: kustomize, path: "envs/{env}/gone/kustomization.yaml"}
  - name: elsewhere
    image: evil.example.com/acme/elsewhere
    target: {kind: kustomize, path: "envs/{env}/elsewhere/kustomization.yaml"}
`

func startStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{reg: newRegistry(t), data: t.TempDir()}
	pipeline := strings.ReplaceAll(readExample(t, "ferry.yaml"), "registry.example.com", s.reg.host) + extraApps
	s.bare = envRepo(t, s.reg.host, map[string]string{"ferry.yaml": pipeline})
	addr := freeAddr(t)
	cfg := writeConfig(t, serverConfig(addr, s.data, s.reg.host, s.bare, ""))
	s.f = startFerry(t, addr, "--config", cfg)
	return s
}

func readExample(t *testing.T, p string) string {
	t.Helper()
	b, err := examplesFS(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// head returns the bare repo's main.
func (s *stack) head(t *testing.T) string { return git(t, s.bare, "rev-parse", "main") }

// clone clones the bare repo with the git CLI.
func (s *stack) clone(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(dir), "clone", "-q", s.bare, dir)
	return dir
}

func buildBody(app, image, tag, digest string) string {
	b := fmt.Sprintf(`{"application":%q,"image":%q,"tag":%q`, app, image, tag)
	if digest != "" {
		b += fmt.Sprintf(`,"digest":%q`, digest)
	}
	return b + `,"source_repo":"https://git.example.com/acme/` + app + `","source_commit":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567","ci_run_url":"https://ci.example.com/runs/42"}`
}

type buildAnswer struct {
	Release struct {
		ID, Reference, Digest, Tag string
	} `json:"release"`
	Promotion struct {
		ID, State, Environment, Reason string
		CommitSHA                      string `json:"commit_sha"`
		Noop                           bool
	} `json:"promotion"`
	Duplicate bool `json:"duplicate"`
}

func TestBuildBecomesPinnedCommit(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/payments"
	digest := s.reg.push(t, "acme/payments", "1.4.2")
	before := s.head(t)

	r := s.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", ciToken,
		strings.NewReader(buildBody("payments", image, "1.4.2", digest)))
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var a buildAnswer
	r.json(t, &a)
	if loc := r.header.Get("Location"); loc != "/api/v1/releases/"+a.Release.ID {
		t.Errorf("Location = %q", loc)
	}
	if a.Promotion.State != "committed" || a.Promotion.Environment != "dev" || a.Promotion.Noop {
		t.Fatalf("promotion = %+v", a.Promotion)
	}
	head := s.head(t)
	if a.Promotion.CommitSHA != head || head == before {
		t.Fatalf("commit %s, repo head %s (before %s)", a.Promotion.CommitSHA, head, before)
	}
	if got := git(t, s.bare, "rev-parse", "main~1"); got != before {
		t.Errorf("parent of Ferry's commit = %s, want the previous head %s", got, before)
	}

	// Only the two values changed, in the one file.
	if got := git(t, s.bare, "diff", "--numstat", before, head); got != "2\t1\tenvs/dev/payments/kustomization.yaml" {
		t.Errorf("numstat = %q", got)
	}
	diff := git(t, s.bare, "diff", "-U0", before, head)
	for _, want := range []string{
		`-    newTag: "1.4.0"`,
		`+    newTag: "1.4.2"`,
		`+    digest: ` + digest,
	} {
		if !strings.Contains(diff, want+"\n") && !strings.HasSuffix(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}

	// Message and trailers.
	if got := git(t, s.bare, "log", "-1", "--format=%s", head); got != "payments: dev ← 1.4.2 ("+digest[:15]+")" {
		t.Errorf("subject = %q", got)
	}
	trailers := map[string]string{
		"Ferry-Release":       a.Release.ID,
		"Ferry-Promotion":     a.Promotion.ID,
		"Ferry-Image":         image + ":1.4.2@" + digest,
		"Ferry-Source-Commit": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
		"Ferry-CI-Run":        "https://ci.example.com/runs/42",
	}
	for k, want := range trailers {
		if got := git(t, s.bare, "log", "-1", "--format=%(trailers:key="+k+",valueonly)", head); got != want {
			t.Errorf("trailer %s = %q, want %q", k, got, want)
		}
	}
	if got := git(t, s.bare, "log", "-1", "--format=%an <%ae>", head); got != "Ferry Test <ferry@test.local>" {
		t.Errorf("author = %q", got)
	}
	git(t, s.bare, "fsck", "--no-progress")

	// A clone with the git CLI shows the pinned file.
	dir := s.clone(t)
	if b := readFile(t, filepath.Join(dir, "envs/dev/payments/kustomization.yaml")); !strings.Contains(b, "digest: "+digest) {
		t.Errorf("cloned file lacks the digest:\n%s", b)
	}

	// The same report again: the first answer, no new commit.
	r = s.f.call(t, http.MethodPost, "/api/v1/builds?wait=10s", ciToken,
		strings.NewReader(buildBody("payments", image, "1.4.2", "")))
	var again buildAnswer
	r.json(t, &again)
	if r.status != http.StatusOK || !again.Duplicate || again.Release.ID != a.Release.ID {
		t.Errorf("repeat: status %d %s", r.status, r.body)
	}
	if s.head(t) != head {
		t.Error("a repeated report made a new commit")
	}

	// The status read from the repo shows what runs in dev.
	r = s.f.call(t, http.MethodGet, "/api/v1/applications/payments", readToken, nil)
	var app struct {
		Environments []struct {
			Name    string
			Current struct{ Tag, Digest string }
			Release string `json:"release_id"`
		}
	}
	r.json(t, &app)
	if len(app.Environments) != 3 || app.Environments[0].Current.Tag != "1.4.2" ||
		app.Environments[0].Current.Digest != digest || app.Environments[0].Release != a.Release.ID ||
		app.Environments[1].Current.Tag != "1.4.0" {
		t.Errorf("application status = %s", r.body)
	}

	// The CLI shows the same.
	env := []string{"FERRY_SERVER=" + s.f.url, "FERRY_TOKEN=" + readToken}
	code, out := run(t, env, "status", "payments")
	if code != 0 || !strings.Contains(out, "1.4.2") || !strings.Contains(out, "dev") {
		t.Errorf("ferry status: %d\n%s", code, out)
	}
	code, out = run(t, env, "history", "--application", "payments")
	if code != 0 || !strings.Contains(out, a.Promotion.ID) || !strings.Contains(out, "committed") {
		t.Errorf("ferry history: %d\n%s", code, out)
	}
}

func TestNotifyWaitsForCommit(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/notifier"
	digest := s.reg.push(t, "acme/notifier", "1.0.0")
	before := s.head(t)
	env := []string{"FERRY_SERVER=" + s.f.url, "FERRY_TOKEN=" + ciToken, "GITHUB_ACTIONS=true",
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=acme/notifier",
		"GITHUB_SHA=89abcdef0123456789abcdef0123456789abcdef", "GITHUB_RUN_ID=777", "GITHUB_REF_NAME=main"}
	code, out := run(t, env, "notify", "--application", "notifier", "--image", image, "--tag", "1.0.0", "--wait", "60s")
	if code != 0 {
		t.Fatalf("notify exit %d:\n%s", code, out)
	}
	head := s.head(t)
	if !strings.Contains(out, "dev: committed "+head) {
		t.Errorf("notify output lacks the commit %s:\n%s", head, out)
	}
	// Every image: of that repository (init container, container, cronjob) is
	// pinned; the envoy sidecar is untouched.
	if got := git(t, s.bare, "diff", "--numstat", before, head); got != "3\t3\tapps/dev/notifier.yaml" {
		t.Errorf("numstat = %q", got)
	}
	diff := git(t, s.bare, "diff", "-U0", before, head)
	if strings.Contains(diff, "envoy") || strings.Count(diff, "notifier:1.0.0@"+digest) != 3 {
		t.Errorf("diff:\n%s", diff)
	}
	if !strings.Contains(diff, `'`+image+`:1.0.0@`+digest+`'`) {
		t.Errorf("single-quoted value lost its quotes:\n%s", diff)
	}
	if got := git(t, s.bare, "log", "-1", "--format=%(trailers:key=Ferry-CI-Run,valueonly)", head); got != "https://github.com/acme/notifier/actions/runs/777" {
		t.Errorf("CI run trailer from GitHub's environment = %q", got)
	}
}

func TestMultiArchHelm(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/checkout"
	index, platform := s.reg.pushIndex(t, "acme/checkout", "2.1.0")
	before := s.head(t)

	// A platform manifest's digest is not what the tag serves.
	r := s.f.call(t, http.MethodPost, "/api/v1/builds", otherToken, strings.NewReader(buildBody("checkout", image, "2.1.0", platform)))
	assertProblem(t, r, http.StatusUnprocessableEntity, "digest_mismatch")
	if s.head(t) != before {
		t.Fatal("a refused build changed the repo")
	}

	r = s.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", otherToken, strings.NewReader(buildBody("checkout", image, "2.1.0", index)))
	var a buildAnswer
	r.json(t, &a)
	if r.status != http.StatusAccepted || a.Promotion.State != "committed" || a.Release.Digest != index {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	diff := git(t, s.bare, "diff", "-U0", before, s.head(t))
	for _, want := range []string{"+  tag: 2.1.0        # set by Ferry", `+  digest: "` + index + `"`} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
}

func TestValueAlreadySetIsNoop(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/payments"
	digest := s.reg.push(t, "acme/payments", "1.5.0")
	// Someone already pinned this exact image in dev by hand.
	dir := s.clone(t)
	p := filepath.Join(dir, "envs/dev/payments/kustomization.yaml")
	writeFile(t, p, strings.Replace(readFile(t, p), `newTag: "1.4.0"`, `newTag: "1.5.0"`+"\n    digest: "+digest, 1))
	git(t, dir, "commit", "-qam", "pin by hand")
	git(t, dir, "push", "-q", "origin", "main")
	head := s.head(t)

	r := s.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", ciToken, strings.NewReader(buildBody("payments", image, "1.5.0", "")))
	var a buildAnswer
	r.json(t, &a)
	if r.status != http.StatusAccepted || a.Promotion.State != "committed" || !a.Promotion.Noop || a.Promotion.CommitSHA != head {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if s.head(t) != head {
		t.Error("a no-op promotion made a commit")
	}
}
