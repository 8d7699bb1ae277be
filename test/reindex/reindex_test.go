// Package reindex makes a promotion history with the real ferry binary,
// deletes the store, rebuilds it with `ferry reindex` from the environment
// repository's commit trailers, and compares the history API before and
// after: every field of every promotion that reached Git, against the
// README's list of what cannot come back.
package reindex

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

var ferryBin string

func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin) }

// backend is a store driver as the test sees it: how to configure it and
// how to lose its database.
type backend struct {
	name      string
	configure func(t *testing.T, cfg, data string)
	wipe      func(t *testing.T, data string)
}

func TestReindex(t *testing.T) {
	sqlite := backend{
		name:      "sqlite",
		configure: func(*testing.T, string, string) {},
		wipe: func(t *testing.T, data string) {
			for _, f := range []string{"ferry.db", "ferry.db-wal", "ferry.db-shm"} {
				if err := os.Remove(filepath.Join(data, f)); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		},
	}
	var pgDSN, pgAdmin string
	postgres := backend{
		name: "postgres",
		configure: func(t *testing.T, cfg, _ string) {
			pgAdmin = ferrytest.PostgresDSN(t)
			pgDSN = ferrytest.FreshDatabase(t, pgAdmin, "reindex")
			ferrytest.UsePostgres(t, cfg, pgDSN)
		},
		wipe: func(t *testing.T, _ string) {
			ferrytest.RecreateDatabase(t, pgAdmin, ferrytest.DatabaseName(pgDSN))
		},
	}
	for _, b := range []backend{sqlite, postgres} {
		t.Run(b.name, func(t *testing.T) { testReindex(t, b) })
	}
}

func testReindex(t *testing.T, b backend) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addStage(t, bare, reg.Host)
	addr := ferrytest.FreeAddr(t)
	data := t.TempDir()
	// A batch window long enough that reports sent together share a commit.
	cfg := ferrytest.Config(t, addr, data, reg.Host, bare, "  batchWindow: 700ms\n  pollInterval: 100ms\n  reconcileInterval: 200ms\n")
	addPeople(t, cfg)
	b.configure(t, cfg, data)
	f := ferrytest.NewFerry(t, ferryBin, addr, cfg)
	f.Start(t)

	// History: a payments build alone, then four builds at once (one batch
	// commit into dev, then their chained stage promotions), then a second
	// payments build. Each dev promotion chains into stage.
	var seq atomic.Int64
	report := func(app string) {
		n := int(seq.Add(1))
		tag := fmt.Sprintf("v%d", n)
		digest, err := reg.Push("acme/"+app, tag)
		if err != nil {
			t.Error(err)
			return
		}
		if err := reportBuild(f, reg.Host, app, tag, digest, n); err != nil {
			t.Error(err)
		}
	}
	report("payments")
	f.Drain(t, 30*time.Second)
	var wg sync.WaitGroup
	for _, app := range []string{"ledger", "search", "mailer", "checkout"} {
		wg.Go(func() { report(app) })
	}
	wg.Wait()
	f.Drain(t, 30*time.Second)
	report("payments")
	f.Drain(t, 30*time.Second)
	// The second payments release took over the prod pull request of the
	// first (superseded, its commit on the PR branch); bob and carol approve
	// it and Ferry merges it, so that commit reaches main. (A rollback would
	// close that pull request and delete its branch instead.)
	first := find(t, f.Promotions(t), func(p api.Promotion) bool {
		return p.Application == "payments" && p.Environment == "prod" && p.State == "pr-open"
	})
	act[api.Promotion](t, f, "bob", "/api/v1/promotions/"+first.ID+"/approve", nil)
	act[api.Promotion](t, f, "carol", "/api/v1/promotions/"+first.ID+"/approve", nil)
	waitFor(t, f, first.ID, "merged")
	f.Drain(t, 30*time.Second)
	// People: alice forces payments' first release back into stage (a
	// rollback that skips dev's check), which opens its prod pull request;
	// bob and carol approve it and Ferry merges it.
	forced := act[api.Promotion](t, f, "alice", "/api/v1/promotions",
		api.PromotionRequest{Application: "payments", Environment: "stage", Release: "v1", Force: true})
	f.Drain(t, 30*time.Second)
	prod := find(t, f.Promotions(t), func(p api.Promotion) bool {
		return p.Application == "payments" && p.Environment == "prod" && p.State == "pr-open"
	})
	act[api.Promotion](t, f, "bob", "/api/v1/promotions/"+prod.ID+"/approve", nil)
	act[api.Promotion](t, f, "carol", "/api/v1/promotions/"+prod.ID+"/approve", nil)
	waitFor(t, f, prod.ID, "merged")
	before := f.Drain(t, 30*time.Second)
	for _, p := range before {
		if p.ID == forced.ID && (!p.Forced || p.RequestedBy != "alice" || p.State != "committed") {
			t.Errorf("forced promotion before reindex: %+v", p)
		}
	}
	releasesBefore := releases(t, f)
	if t.Failed() {
		return
	}
	if len(releasesBefore) != 6 {
		t.Fatalf("%d releases before, want 6", len(releasesBefore))
	}
	if !hasBatch(t, bare) {
		t.Error("no commit carries more than one promotion: the history has no batch commit")
	}
	chained := 0
	for _, p := range before {
		if p.Environment == "stage" && p.State == "committed" {
			chained++
		}
	}
	if chained == 0 {
		t.Fatalf("no stage promotion committed: the history has no chained environment")
	}

	if _, code, err := f.Terminate(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("stopping ferry: exit %d, %v", code, err)
	}
	b.wipe(t, data)
	out1 := runReindex(t, cfg)
	out2 := runReindex(t, cfg)
	inGit := 0
	for _, p := range before {
		if reachedGit(t, bare, p) {
			inGit++
		}
	}
	if want := fmt.Sprintf(" added=%d ", len(releasesBefore)+inGit); !strings.Contains(out1, want) {
		t.Errorf("first reindex into the empty store: want%s(every release and every promotion in Git):\n%s", want, out1)
	}
	if !strings.Contains(out2, " added=0 ") {
		t.Errorf("a second reindex added rows (want added=0):\n%s", out2)
	}
	t.Logf("first reindex: %s", strings.TrimSpace(out1))
	f.Start(t)
	after := f.Promotions(t)
	releasesAfter := releases(t, f)

	compareReleases(t, releasesBefore, releasesAfter)
	comparePromotions(t, bare, before, after)
}

// addStage adds a stage environment, promoted from dev by commit, and a
// prod environment, promoted from stage by built-in pull requests that
// two people approve, with targets for every application.
func addStage(t *testing.T, bare, regHost string) {
	work := filepath.Join(t.TempDir(), "w")
	ferrytest.Git(t, "", "clone", "-q", bare, work)
	p := filepath.Join(work, "ferry.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    promotion: commit\n", "    promotion: commit\n  - name: stage\n    from: dev\n    promotion: commit\n"+
		"  - name: prod\n    from: stage\n    promotion: pull-request\n    gates: {approvals: 2}\n", 1)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, app := range ferrytest.ExtraApps {
		k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: %s/acme/%s\n    newTag: \"0.0.0\"\n", regHost, app)
		for _, env := range []string{"stage", "prod"} {
			dir := filepath.Join(work, "envs", env, app)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ferrytest.Git(t, work, "add", "-A")
	ferrytest.Git(t, work, "commit", "-q", "-m", "pipeline: stage after dev, prod after stage")
	ferrytest.Git(t, work, "push", "-q", "origin", "main")
}

// reportBuild reports a build with its source and CI run, which the
// trailers carry and reindex restores.
func reportBuild(f *ferrytest.Ferry, regHost, app, tag, digest string, n int) error {
	body, _ := json.Marshal(api.BuildRequest{
		Application: app, Image: regHost + "/acme/" + app, Tag: tag, Digest: digest,
		SourceRepo:   "https://git.example.com/acme/" + app,
		SourceCommit: fmt.Sprintf("%040x", n),
		CIRunURL:     fmt.Sprintf("https://ci.example.com/runs/%d", n),
	})
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/api/v1/builds", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ferrytest.CIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("reporting %s %s: %d %s", app, tag, resp.StatusCode, b)
	}
	return nil
}

// releases lists every release, every page.
func releases(t *testing.T, f *ferrytest.Ferry) []api.Release {
	t.Helper()
	var all []api.Release
	cursor := ""
	for {
		q := url.Values{"limit": {"2"}} // small pages: the cursor is exercised
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v1/releases?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+ferrytest.ReadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("listing releases: %d %s", resp.StatusCode, b)
		}
		var page api.ReleaseList
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// hasBatch reports whether a commit of main carries several promotions.
func hasBatch(t *testing.T, bare string) bool {
	for _, c := range ferrytest.Log(t, bare, "main") {
		if len(c.Promotions) > 1 {
			return true
		}
	}
	return false
}

func runReindex(t *testing.T, cfg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ferryBin, "reindex", "--config", cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ferry reindex: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String(), "skipped:") {
		t.Errorf("ferry reindex skipped commits:\n%s", stdout.String())
	}
	return stdout.String()
}

// compareReleases checks that every release comes back with its id and
// image, source commit and CI run (from the trailers) and source repository
// (from the message body). Not restored, by design: reported_by (now
// "reindex"), source_branch (not in the commit), created_at (now the time
// of its first commit, a moment after the report).
func compareReleases(t *testing.T, before, after []api.Release) {
	t.Helper()
	got := map[string]api.Release{}
	for _, r := range after {
		got[r.ID] = r
	}
	if len(after) != len(before) {
		t.Errorf("%d releases after reindex, want %d", len(after), len(before))
	}
	for _, want := range before {
		r, ok := got[want.ID]
		if !ok {
			t.Errorf("release %s (%s %s) not restored", want.ID, want.Application, want.Tag)
			continue
		}
		if r.ReportedBy != "reindex" {
			t.Errorf("release %s: reported_by %q, want reindex", r.ID, r.ReportedBy)
		}
		if d := r.CreatedAt.Sub(want.CreatedAt); d < -time.Second || d > time.Minute {
			t.Errorf("release %s: created_at %v, reported at %v", r.ID, r.CreatedAt, want.CreatedAt)
		}
		r.ReportedBy, r.CreatedAt, r.SourceBranch = want.ReportedBy, want.CreatedAt, want.SourceBranch
		if r != want {
			t.Errorf("release %s after reindex:\n got %+v\nwant %+v", want.ID, r, want)
		}
	}
}

// reachedGit reports whether p's commit is on main: a promotion whose
// change never reached its target branch (a no-op, or a pull request still
// open or closed) is not in the history reindex reads.
func reachedGit(t *testing.T, bare string, p api.Promotion) bool {
	if p.CommitSHA == "" || p.Noop {
		return false
	}
	_, err := ferrytest.GitErr(bare, "merge-base", "--is-ancestor", p.CommitSHA, "main")
	return err == nil
}

// comparePromotions compares every field of every promotion that reached
// Git before and after reindex, prints the fields that differ, and fails
// on a difference the README's reindex section does not name as not
// restored. Promotions that never reached Git must not come back.
func comparePromotions(t *testing.T, bare string, before, after []api.Promotion) {
	t.Helper()
	notRestored := readmeNotRestored(t)
	got := map[string]api.Promotion{}
	for _, p := range after {
		got[p.ID] = p
	}
	restorable := 0
	differ := map[string]int{}
	states := map[string]int{}
	for _, want := range before {
		p, ok := got[want.ID]
		if !reachedGit(t, bare, want) {
			if ok {
				t.Errorf("promotion %s (%s) never reached Git but is back after reindex", want.ID, want.State)
			}
			continue
		}
		restorable++
		states[want.State]++
		if !ok {
			t.Errorf("promotion %s (%s %s %s) not restored", want.ID, want.Application, want.Environment, want.State)
			continue
		}
		for _, f := range differentFields(want, p) {
			differ[f]++
			if !notRestored[f] {
				t.Errorf("promotion %s (%s %s %s): %s differs after reindex but the README does not say it is not restored:\n got %+v\nwant %+v",
					want.ID, want.Application, want.Environment, want.State, f, p, want)
			}
		}
		if p.NextAttemptAt != nil {
			t.Errorf("promotion %s is scheduled (%v) after reindex, want no work", p.ID, p.NextAttemptAt)
		}
	}
	var fields []string
	for f, n := range differ {
		fields = append(fields, fmt.Sprintf("%s(%d)", f, n))
	}
	slices.Sort(fields)
	t.Logf("reindex: promotions_compared=%d states=%v fields_differ=%v readme_not_restored=%v",
		restorable, states, fields, slices.Sorted(maps.Keys(notRestored)))
	if len(after) != restorable {
		t.Errorf("%d promotions after reindex, want the %d that reached Git", len(after), restorable)
	}
	if restorable < 10 {
		t.Errorf("only %d promotions reached Git, want at least 10 (6 builds into dev, then stage)", restorable)
	}
	for _, st := range []string{"committed", "merged", "superseded"} {
		if states[st] == 0 {
			t.Errorf("no %s promotion reached Git: the history does not exercise what reindex restores", st)
		}
	}
}

// differentFields lists the JSON fields of the promotion that differ.
func differentFields(want, got api.Promotion) []string {
	var w, g map[string]any
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	_ = json.Unmarshal(wb, &w)
	_ = json.Unmarshal(gb, &g)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(w, g))) {
		if !reflect.DeepEqual(w[k], g[k]) {
			out = append(out, k)
		}
	}
	return out
}

func mergeKeys(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// readmeNotRestored reads the promotion fields the README's reindex
// section names as not restored: the backquoted names of its paragraph
// starting "Promotion fields not restored".
func readmeNotRestored(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\nPromotion fields not restored")
	if !ok {
		t.Fatal("README.md has no paragraph starting \"Promotion fields not restored\"")
	}
	para, _, _ := strings.Cut(rest, "\n\n")
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(para, -1) {
		out[m[1]] = true
	}
	if len(out) == 0 {
		t.Fatal("README.md's \"Promotion fields not restored\" paragraph names no field")
	}
	return out
}

// addPeople adds release managers' tokens (alice, bob, carol) to cfg.
func addPeople(t *testing.T, cfg string) {
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	people := "tokens:\n"
	for _, name := range []string{"alice", "bob", "carol"} {
		sum := sha256.Sum256([]byte(personToken(name)))
		people += fmt.Sprintf("  - name: %s\n    sha256: %x\n    scopes: [promotions:write, read]\n", name, sum)
	}
	s := strings.Replace(string(b), "tokens:\n", people, 1)
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func personToken(name string) string { return "reindex-" + name + "-token-0123456789abcdef" }

// act sends body (JSON, or nothing) to path as a person and decodes the answer.
func act[T any](t *testing.T, f *ferrytest.Ferry, who, path string, body any) T {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, f.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+personToken(who))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s POST %s: %d %s", who, path, resp.StatusCode, b)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func find(t *testing.T, ps []api.Promotion, ok func(api.Promotion) bool) api.Promotion {
	t.Helper()
	for _, p := range ps {
		if ok(p) {
			return p
		}
	}
	t.Fatal("no such promotion")
	return api.Promotion{}
}

// waitFor waits until promotion id is in state.
func waitFor(t *testing.T, f *ferrytest.Ferry, id, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := find(t, f.Promotions(t), func(p api.Promotion) bool { return p.ID == id })
		if p.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("promotion %s is %s (%s), want %s", id, p.State, p.Reason, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
