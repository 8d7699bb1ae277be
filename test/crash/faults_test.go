package crash

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// The fault suite (issue 13) measures one value in each of its tests and
// TestMain prints them together, after every test has run, as
//
//	faults: crash_retry_s=<max> store_down_status=503 url_secrets_stored=0 pipeline_cap_bytes=<n> bad_branch_retries=0
//
// Each value comes from the real ferry binary: the tests assert the wanted
// value themselves, the line only reports what they measured.
var faultKeys = []string{"crash_retry_s", "store_down_status", "url_secrets_stored", "pipeline_cap_bytes", "bad_branch_retries"}

var faults = struct {
	mu sync.Mutex
	m  map[string]string
}{m: map[string]string{}}

// measured records one value of the fault line.
func measured(key, format string, args ...any) {
	faults.mu.Lock()
	defer faults.mu.Unlock()
	faults.m[key] = fmt.Sprintf(format, args...)
}

// faultLine is the fault suite's line, or "" when no test measured
// anything (the run picked other tests). A value no test measured (a -run
// that picked some of them, or a test that stopped before measuring) is
// "unmeasured", and the line says it is partial.
func faultLine() string {
	faults.mu.Lock()
	defer faults.mu.Unlock()
	if len(faults.m) == 0 {
		return ""
	}
	var parts []string
	partial := false
	for _, k := range faultKeys {
		v, ok := faults.m[k]
		if !ok {
			v, partial = "unmeasured", true
		}
		parts = append(parts, k+"="+v)
	}
	prefix := "faults:"
	if partial {
		prefix = "faults (partial):"
	}
	return prefix + " " + strings.Join(parts, " ")
}

// faultConfig is the worker block of the fault tests that change
// ferry.yaml: the pipeline is re-read often, and a promotion that failed
// would be retried soon, so that a retry loop would show within the test.
const faultConfig = "  batchWindow: 100ms\n  pollInterval: 200ms\n  pipelineRefresh: 300ms\n  retryMax: 300ms\n"

// TestURLSecretsNotStored reports builds whose URL fields carry credentials
// — GitLab's CI_REPOSITORY_URL form (a job token as userinfo) and a
// user:password ci_run_url — directly (refused, with and without an
// Idempotency-Key) and through `ferry notify` filling the fields from
// GitLab CI's variables (it strips them; the build is committed). Then it
// counts every occurrence of the secrets in what Ferry keeps: every file
// of its data directory (the SQLite database, its WAL and anything else)
// and every object of the environment repository, reachable or not, plus
// its log and its answers. url_secrets_stored is the count; it must be 0.
func TestURLSecretsNotStored(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	data := t.TempDir()
	cfg := ferrytest.Config(t, addr, data, reg.Host, bare, "  batchWindow: 100ms\n  pollInterval: 200ms\n")
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	secrets := []string{
		"glpat-FaultSuiteToken0123456789", // GitLab job token in CI_REPOSITORY_URL
		"pw-FaultSuiteCIPassword42",       // a password in a CI run URL
		"glpat-FaultSuiteNotifyToken9876", // the same, reaching ferry notify from CI's environment
		"pw-FaultSuiteNotifyPipeline77",
	}
	digest, err := reg.Push("acme/payments", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	image := reg.Host + "/acme/payments"
	var answers bytes.Buffer
	for i, c := range []struct {
		field string
		req   api.BuildRequest
		key   string
	}{
		{"source_repo", api.BuildRequest{SourceRepo: "https://gitlab-ci-token:" + secrets[0] + "@gitlab.example.com/acme/payments.git"}, ""},
		{"ci_run_url", api.BuildRequest{CIRunURL: "https://ci-user:" + secrets[1] + "@ci.example.com/acme/payments/-/pipelines/7"}, ""},
		{"source_repo", api.BuildRequest{SourceRepo: "https://gitlab-ci-token:" + secrets[0] + "@gitlab.example.com/acme/payments.git"}, "url-secret-key-1"},
		{"ci_run_url", api.BuildRequest{CIRunURL: "https://ci-user:" + secrets[1] + "@ci.example.com/acme/payments/-/pipelines/7"}, "url-secret-key-2"},
	} {
		r := c.req
		r.Application, r.Image, r.Tag, r.Digest = "payments", image, "1.0.0", digest
		st, body := post(t, f.URL+"/api/v1/builds", ferrytest.CIToken, r, c.key)
		answers.Write(body)
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(body, &p)
		if st != http.StatusBadRequest || p.Code != "invalid_field" || !strings.Contains(p.Detail, c.field) {
			t.Errorf("report %d with credentials in %s = %d %s, want 400 invalid_field naming the field", i, c.field, st, body)
		}
	}

	// ferry notify in a GitLab CI job: CI_REPOSITORY_URL carries the job
	// token, and this pipeline URL a password.
	cmd := exec.Command(ferryBin, "notify", "--server", f.URL, "--token", ferrytest.CIToken,
		"--application", "payments", "--image", image, "--tag", "1.0.0", "--digest", digest, "--wait", "60s")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"GITLAB_CI=true", "CI_COMMIT_SHA=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "CI_COMMIT_REF_NAME=main",
		"CI_REPOSITORY_URL=https://gitlab-ci-token:" + secrets[2] + "@gitlab.example.com/acme/payments.git",
		"CI_PIPELINE_URL=https://ci-user:" + secrets[3] + "@gitlab.example.com/acme/payments/-/pipelines/8"}
	out, err := cmd.CombinedOutput()
	answers.Write(out)
	if err != nil || !strings.Contains(string(out), "dev: committed") {
		t.Fatalf("ferry notify from GitLab CI's variables: %v\n%s", err, out)
	}
	// The stripped URL did reach Git: the scan below looks where it went.
	if msg := ferrytest.Git(t, bare, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "https://gitlab.example.com/acme/payments.git") {
		t.Errorf("the commit does not carry the source without its credentials:\n%s", msg)
	}
	f.Kill() // everything it wrote is on disk now, WAL included

	found := map[string]int{}
	// The data directory, byte for byte.
	err = filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		found["store"] += countAll(b, secrets)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every object of the environment repository, reachable or not, every
	// ref, and the history as patches.
	objects, err := exec.Command("git", "-C", bare, "cat-file", "--batch-all-objects", "--batch").Output()
	if err != nil {
		t.Fatal(err)
	}
	found["git objects"] = countAll(objects, secrets)
	found["git log -p"] = countAll([]byte(ferrytest.Git(t, bare, "log", "-p", "--all")), secrets)
	found["git refs"] = countAll([]byte(ferrytest.Git(t, bare, "for-each-ref")), secrets)
	if len(objects) == 0 {
		t.Fatal("the environment repository holds no objects: the scan read nothing")
	}
	stored := 0
	for _, n := range found {
		stored += n
	}
	logged, answered := countAll([]byte(f.Output()), secrets), countAll(answers.Bytes(), secrets)
	measured("url_secrets_stored", "%d", stored)
	t.Logf("url secrets: %v; in ferry's log %d; in answers %d", found, logged, answered)
	if stored != 0 || logged != 0 || answered != 0 {
		t.Errorf("credentials from report URLs kept: %v, log %d, answers %d; want none anywhere", found, logged, answered)
	}
}

// countAll counts the occurrences of every secret in b.
func countAll(b []byte, secrets []string) int {
	n := 0
	for _, s := range secrets {
		n += bytes.Count(b, []byte(s))
	}
	return n
}

// post sends v as JSON with token (and key as Idempotency-Key unless
// empty) and returns the status and body.
func post(t *testing.T, u, token string, v any, key string) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(v)
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPipelineCap finds the pipeline size cap from the outside: a 2 MiB
// ferry.yaml is refused with the reason, which names the limit; a valid
// ferry.yaml of exactly that many bytes then loads, and one byte more is
// refused again, with the last good pipeline kept (builds still commit,
// /readyz stays 200). pipeline_cap_bytes is the measured boundary.
func TestPipelineCap(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare, faultConfig)
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)
	good := ferrytest.Git(t, bare, "show", "main:ferry.yaml") + "\n"

	head := pushPipeline(t, bare, padTo(good, 2<<20))
	w := waitWarning(t, f, head)
	m := regexp.MustCompile(`over the limit of (\d+) bytes`).FindStringSubmatch(w)
	if m == nil {
		t.Fatalf("a 2 MiB ferry.yaml: warning %q does not name the limit", w)
	}
	limit, _ := strconv.Atoi(m[1])
	if limit <= len(good) || limit >= 2<<20 {
		t.Fatalf("the limit named, %d bytes, is not between the pipeline's %d bytes and 2 MiB", limit, len(good))
	}

	head = pushPipeline(t, bare, padTo(good, limit))
	if w := waitWarning(t, f, ""); w != "" {
		t.Fatalf("a ferry.yaml of exactly %d bytes did not load: %s", limit, w)
	}
	loaded := ferrytest.Git(t, bare, "rev-parse", "main")
	if loaded != head {
		t.Fatalf("main moved from %s to %s while the pipeline loaded", head, loaded)
	}

	head = pushPipeline(t, bare, padTo(good, limit+1))
	w = waitWarning(t, f, head)
	want := fmt.Sprintf("ferry.yaml: file is %d bytes, over the limit of %d bytes", limit+1, limit)
	if !strings.Contains(w, want) || !strings.Contains(w, loaded[:12]) {
		t.Errorf("a ferry.yaml of %d bytes: warning %q, want %q and the last good pipeline %s in use", limit+1, w, want, loaded[:12])
	}
	// The last good pipeline is in use: builds commit, and Ferry is ready.
	reportCommitted(t, f, reg, "payments", "cap-1")
	if resp, err := http.Get(f.URL + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz with an oversized ferry.yaml on main: %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	measured("pipeline_cap_bytes", "%d", limit)
	if limit != 1<<20 {
		t.Errorf("the pipeline cap is %d bytes, want 1 MiB (%d), as for target files", limit, 1<<20)
	}
}

// padTo pads a YAML document with comment lines to exactly n bytes.
func padTo(doc string, n int) string {
	var b strings.Builder
	b.WriteString(doc)
	for b.Len() < n {
		l := min(n-b.Len(), 1000)
		if l == 1 {
			b.WriteString("\n")
			continue
		}
		b.WriteString("#" + strings.Repeat("x", l-2) + "\n")
	}
	return b.String()
}

// TestBadBranchNoRetry changes ferry.yaml on main so that the environment
// names a branch Git refuses — "../../evil", "HEAD", "refs/tags/v1" — and
// reports a build after each change. The pipeline must be refused when it
// loads (the warning names the reason), the build committed with the last
// good pipeline, and nothing may ever try the bad branch: a pre-receive
// hook on the environment repository logs every ref each push updates, and
// the promotions' attempts are read from the API. bad_branch_retries is
// the pushes to any ref but main plus the attempts beyond the first; it
// must be 0.
func TestBadBranchNoRetry(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	pushLog := filepath.Join(t.TempDir(), "pushes.log")
	hook := "#!/bin/sh\nwhile read old new ref; do echo \"$ref\" >> '" + pushLog + "'; done\n"
	if err := os.WriteFile(filepath.Join(bare, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := ferrytest.FreeAddr(t)
	cfg := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare, faultConfig)
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)
	reportCommitted(t, f, reg, "payments", "branch-0")
	good := ferrytest.Git(t, bare, "show", "main:ferry.yaml") + "\n"
	if !strings.Contains(good, "    promotion: commit\n") {
		t.Fatalf("ferry.yaml has no commit-mode environment:\n%s", good)
	}

	for i, bad := range []string{"../../evil", "HEAD", "refs/tags/v1"} {
		head := pushPipeline(t, bare, strings.Replace(good, "    promotion: commit\n", "    promotion: commit\n    branch: \""+bad+"\"\n", 1))
		w := waitWarning(t, f, head)
		if !strings.Contains(w, "is not a valid branch name") || !strings.Contains(w, bad) {
			t.Errorf("branch %q: warning %q, want it to name the branch as not valid", bad, w)
		}
		reportCommitted(t, f, reg, "payments", fmt.Sprintf("branch-%d", i+1))
	}
	// Long enough for a retry loop (retryMax 300ms) to show.
	time.Sleep(3 * time.Second)

	b, err := os.ReadFile(pushLog)
	if err != nil {
		t.Fatalf("the pre-receive hook never ran: %v", err)
	}
	refs := strings.Fields(string(b))
	toMain, elsewhere := 0, 0
	for _, r := range refs {
		if r == "refs/heads/main" {
			toMain++
		} else {
			elsewhere++
			t.Errorf("a push updated %s", r)
		}
	}
	extra := 0
	for _, p := range f.Promotions(t) {
		if p.Attempts > 1 || p.State != "committed" {
			t.Errorf("promotion %s (%s): %s after %d attempts (%s)", p.ID, p.ReleaseID, p.State, p.Attempts, p.Reason)
		}
		extra += max(0, p.Attempts-1)
	}
	if toMain < 4+3 { // the test's own pushes and Ferry's commits: the hook sees them all
		t.Errorf("the hook saw %d pushes to main, want at least 7: it does not see every push", toMain)
	}
	t.Logf("pushes seen by the hook: %d to main, %d elsewhere; attempts beyond the first: %d", toMain, elsewhere, extra)
	measured("bad_branch_retries", "%d", elsewhere+extra)
}

// pushPipeline commits content as ferry.yaml on main of bare, with the git
// CLI as a person would, and returns the new head.
func pushPipeline(t *testing.T, bare, content string) string {
	t.Helper()
	for try := 0; ; try++ {
		work := filepath.Join(t.TempDir(), "work")
		ferrytest.Git(t, "", "clone", "-q", "-b", "main", bare, work)
		if err := os.WriteFile(filepath.Join(work, "ferry.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		ferrytest.Git(t, work, "commit", "-q", "-am", "ferry.yaml: fault suite")
		if out, err := ferrytest.GitErr(work, "push", "-q", "origin", "main"); err != nil {
			if try < 5 { // Ferry pushed in between
				continue
			}
			t.Fatalf("pushing ferry.yaml: %v\n%s", err, out)
		}
		return ferrytest.Git(t, work, "rev-parse", "HEAD")
	}
}

// waitWarning waits until the payments application's pipeline_warning
// names the pipeline at head (or, with head "", until there is none) and
// returns it.
func waitWarning(t *testing.T, f *ferrytest.Ferry, head string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v1/applications", nil)
		req.Header.Set("Authorization", "Bearer "+ferrytest.ReadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list api.ApplicationList
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list.Items {
			if a.Name != "payments" {
				continue
			}
			last = a.PipelineWarning
			if head == "" && last == "" || head != "" && strings.Contains(last, head[:12]) {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pipeline warning after 60s: %q, want one about %q", last, head)
	return ""
}

// reportCommitted reports a new build of app and waits for its commit.
func reportCommitted(t *testing.T, f *ferrytest.Ferry, reg *ferrytest.Registry, app, tag string) {
	t.Helper()
	digest, err := reg.Push("acme/"+app, tag)
	if err != nil {
		t.Fatal(err)
	}
	_, state, err := f.ReportWait(t.Context(), reg.Host, ferrytest.Build{App: app, Tag: tag, Digest: digest}, "30s")
	if err != nil || state != "committed" {
		t.Fatalf("build %s %s: %s %v, want committed", app, tag, state, err)
	}
}
