package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setPipelineYAML is dev → stage → prod with the built-in provider's pull
// requests and a release set of the example's three applications, one per
// target kind: checkout (helm values), payments (kustomize images),
// notifier (plain manifest).
func setPipelineYAML(regHost string) string {
	return `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: pull-request
    gates: {approvals: 1}
  - name: prod
    from: stage
    promotion: pull-request
    gates: {approvals: 2}
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target: {kind: kustomize, path: "envs/{env}/payments/kustomization.yaml"}
  - name: checkout
    image: ` + regHost + `/acme/checkout
    target:
      kind: helm
      path: "charts/checkout/values-{env}.yaml"
      helm: {repository: image.repository, tag: image.tag, digest: image.digest}
  - name: notifier
    image: ` + regHost + `/acme/notifier
    target: {kind: manifest, path: "apps/{env}/notifier.yaml"}
sets:
  - name: shop
    applications: [checkout, payments, notifier]
`
}

type setView struct {
	ID      string
	Set     string
	Members []struct {
		Application string
		ReleaseID   string `json:"release_id"`
	}
	Promotions []struct {
		promotionView
		Application string
		PRNumber    int  `json:"pr_number"`
		Noop        bool `json:"noop"`
	}
}

func (ps *pipelineStack) set(t *testing.T, id string) setView {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/release-sets/"+id, readToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET set release %s: %d %s", id, r.status, r.body)
	}
	var v setView
	r.json(t, &v)
	return v
}

// awaitSet waits until every promotion of the set release into env is in
// state, and returns them.
func (ps *pipelineStack) awaitSet(t *testing.T, id, env, state string, members int) setView {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last setView
	for time.Now().Before(deadline) {
		last = ps.set(t, id)
		n, other := 0, false
		for _, p := range last.Promotions {
			if p.Environment != env {
				continue
			}
			if p.State == state {
				n++
			} else if p.State != "pending" && p.State != "waiting" && p.State != "pr-open" && p.State != "superseded" {
				other = true
			}
		}
		if n == members {
			out := last
			out.Promotions = nil
			for _, p := range last.Promotions {
				if p.Environment == env && p.State == state {
					out.Promotions = append(out.Promotions, p)
				}
			}
			return out
		}
		if other && state != "failed" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("set release %s: %s promotions not all %s:\n%s\n%s", id, env, state, b, ps.f.output())
	return setView{}
}

// reportSet reports the set with ferry notify --set from a manifest.
func (ps *pipelineStack) reportSet(t *testing.T, tag string) (code int, out string) {
	t.Helper()
	return ps.notifySet(t, ps.setManifest(t, tag), "--wait", "60s")
}

// notifySet runs ferry notify --set shop --from manifest with args.
func (ps *pipelineStack) notifySet(t *testing.T, manifest string, args ...string) (code int, out string) {
	t.Helper()
	return run(t, []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + ciToken},
		append([]string{"notify", "--set", "shop", "--from", manifest, "-o", "json"}, args...)...)
}

// setManifest pushes the members' images at tag and writes the build
// manifest of the set.
func (ps *pipelineStack) setManifest(t *testing.T, tag string) string {
	t.Helper()
	var builds []map[string]string
	for _, app := range []string{"checkout", "payments", "notifier"} {
		digest := ps.reg.push(t, "acme/"+app, tag)
		builds = append(builds, map[string]string{"application": app, "image": ps.reg.host + "/acme/" + app, "tag": tag, "digest": digest,
			"source_repo": "https://git.example.com/acme/shop", "source_commit": sha(tag)[:40]})
	}
	b, _ := json.Marshal(map[string]any{"builds": builds})
	manifest := filepath.Join(t.TempDir(), "build-manifest.json")
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return manifest
}

// writesSeen is what Git and the store hold now, to show a dry run wrote
// nothing: every ref of the bare repository, its object count, and how
// many set releases and releases the API lists.
func (ps *pipelineStack) writesSeen(t *testing.T) []string {
	t.Helper()
	out := []string{git(t, ps.bare, "for-each-ref"), git(t, ps.bare, "count-objects", "-v")}
	for _, path := range []string{"/api/v1/release-sets?limit=100", "/api/v1/releases?limit=100"} {
		r := ps.f.call(t, http.MethodGet, path, readToken, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		r.json(t, &page)
		out = append(out, path+fmt.Sprint(" ", len(page.Items)))
	}
	return out
}

// setPreview is the answer to a release set's dry run.
type setPreview struct {
	DryRun   bool   `json:"dry_run"`
	Set      string `json:"set"`
	Previews []struct {
		Environment, Branch, Head, Message, Failure string
		Held, Noop                                  bool
		Members                                     []struct {
			Application string
			Files       []struct{ Path, Diff string }
			Gates       []struct{ Gate string }
		}
	}
}

// commitsBetween counts the commits on main after from.
func (ps *pipelineStack) commitsBetween(t *testing.T, from, to string) int {
	t.Helper()
	n := 0
	fmt.Sscan(git(t, ps.bare, "rev-list", "--count", "--first-parent", from+".."+to), &n)
	return n
}

func TestReleaseSetMovesAsOne(t *testing.T) {
	ps := startPipelineWith(t, setPipelineYAML)
	commitsPerEnv, partial := 0, 0

	// A dry run of the set first: it writes nothing, and shows the diff
	// of the one commit that follows.
	manifest := ps.setManifest(t, "2.0.0")
	seen := ps.writesSeen(t)
	if !strings.HasSuffix(seen[2], " 0") || !strings.HasSuffix(seen[3], " 0") {
		t.Fatalf("store not empty before the first set report: %v", seen)
	}
	before := ps.head(t)
	code, out := ps.notifySet(t, manifest, "--dry-run")
	if code != 0 {
		t.Fatalf("notify --set --dry-run: exit %d\n%s", code, out)
	}
	var pv setPreview
	if err := json.Unmarshal([]byte(out), &pv); err != nil || !pv.DryRun || len(pv.Previews) != 1 {
		t.Fatalf("dry run answer: %v\n%s", err, out)
	}
	devPV := pv.Previews[0]
	if devPV.Environment != "dev" || devPV.Head != before || devPV.Held || devPV.Noop || devPV.Failure != "" || len(devPV.Members) != 3 {
		t.Fatalf("dry run preview of dev: %s", out)
	}
	dryRunWrites := 0
	for i, now := range ps.writesSeen(t) {
		if now != seen[i] {
			dryRunWrites++
			t.Errorf("the dry run wrote: %q → %q", seen[i], now)
		}
	}

	// CI reports the set at once: dev gets one commit with all three edits.
	code, out = ps.notifySet(t, manifest, "--wait", "60s")
	if code != 0 {
		t.Fatalf("notify --set: exit %d\n%s", code, out)
	}
	var sr setView
	if err := json.Unmarshal([]byte(out), &sr); err != nil || len(sr.Members) != 3 {
		t.Fatalf("notify --set answer: %v\n%s", err, out)
	}
	dev := ps.awaitSet(t, sr.ID, "dev", "committed", 3)
	after := ps.head(t)
	if n := ps.commitsBetween(t, before, after); n != 1 {
		t.Errorf("dev: %d commits for the set, want 1", n)
	} else {
		commitsPerEnv = max(commitsPerEnv, n)
	}
	files := lines(git(t, ps.bare, "diff", "--name-only", before, after))
	if len(files) != 3 {
		t.Errorf("dev commit changed %v, want the three members' files", files)
	}
	for _, p := range dev.Promotions {
		if p.CommitSHA != after {
			t.Errorf("%s: commit %s, want the one commit %s", p.Application, p.CommitSHA, after)
		}
	}
	previewed := 0
	for _, m := range devPV.Members {
		for _, f := range m.Files {
			previewed++
			if got := gitFileDiff(t, ps.bare, before, after, f.Path); got != f.Diff {
				t.Errorf("%s: dry run diff of %s:\n%s\nthe set commit's:\n%s", m.Application, f.Path, f.Diff, got)
			}
		}
	}
	if previewed != len(files) {
		t.Errorf("dry run previewed %d files, the set commit changed %v", previewed, files)
	}
	if msg := git(t, ps.bare, "log", "-1", "--format=%B", after); withoutIDs(msg) != withoutIDs(devPV.Message) {
		t.Errorf("set commit message:\n%s\ndry run message:\n%s", msg, devPV.Message)
	}

	// Stage: one pull request for the set; one approval merges all three.
	for _, env := range []struct {
		name      string
		approvers []string
	}{{"stage", []string{rm1Token}}, {"prod", []string{rm1Token, rm2Token}}} {
		open := ps.awaitSet(t, sr.ID, env.name, "pr-open", 3)
		prs := map[int]bool{}
		for _, p := range open.Promotions {
			prs[p.PRNumber] = true
		}
		if len(prs) != 1 {
			t.Fatalf("%s: pull requests %v, want one for the set", env.name, prs)
		}
		before := ps.head(t)
		for i, tok := range env.approvers {
			ps.decide(t, tok, open.Promotions[i%len(open.Promotions)].ID, "approve")
		}
		merged := ps.awaitSet(t, sr.ID, env.name, "merged", 3)
		merges := map[string]bool{}
		for _, p := range merged.Promotions {
			merges[p.MergeSHA] = true
		}
		if n := ps.commitsBetween(t, before, ps.head(t)); len(merges) != 1 || n != 1 {
			t.Errorf("%s: merges %v, %d first-parent commits; want one merge for the set", env.name, merges, n)
		} else {
			commitsPerEnv = max(commitsPerEnv, n)
		}
		if files := lines(git(t, ps.bare, "diff", "--name-only", before, ps.head(t))); len(files) != 3 {
			t.Errorf("%s: merge changed %v, want the three members' files", env.name, files)
		}
	}

	// A member's file refused in dev: the whole set fails, nothing pushed.
	clone := ps.clone(t)
	git(t, clone, "rm", "-q", "apps/dev/notifier.yaml")
	git(t, clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "drop notifier from dev")
	git(t, clone, "push", "-q", "origin", "main")
	refs := git(t, ps.bare, "for-each-ref", "--format=%(refname) %(objectname)")
	code, out = ps.reportSet(t, "2.1.0")
	if code != 1 {
		t.Errorf("notify --set of a set with a refused file: exit %d, want 1\n%s", code, out)
	}
	var bad setView
	if err := json.Unmarshal([]byte(out), &bad); err != nil {
		t.Fatalf("answer: %v\n%s", err, out)
	}
	failed := ps.awaitSet(t, bad.ID, "dev", "failed", 3)
	for _, p := range failed.Promotions {
		if !strings.Contains(p.Reason, "notifier: target file apps/dev/notifier.yaml does not exist") {
			t.Errorf("%s: reason %q, want the set's every reason", p.Application, p.Reason)
		}
	}
	if now := git(t, ps.bare, "for-each-ref", "--format=%(refname) %(objectname)"); now != refs {
		partial++
		t.Errorf("refs moved after a failed set:\n%s\n→\n%s", refs, now)
	}

	// Roll the set back in dev... dev lacks notifier now: put it back first.
	git(t, clone, "-c", "user.name=t", "-c", "user.email=t@t", "revert", "--no-edit", "HEAD")
	git(t, clone, "push", "-q", "origin", "main")
	first := ps.set(t, sr.ID) // 2.0.0, in every environment
	_, third := ps.reportSet(t, "2.2.0")
	var sr3 setView
	if err := json.Unmarshal([]byte(third), &sr3); err != nil {
		t.Fatalf("answer: %v\n%s", err, third)
	}
	ps.awaitSet(t, sr3.ID, "dev", "committed", 3)
	before = ps.head(t)
	code, out = run(t, []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + rm1Token},
		"promote", "--set", "shop", "--environment", "dev", "--release", first.ID, "--reason", "2.2.0 breaks checkout")
	if code != 0 {
		t.Fatalf("promote --set: exit %d\n%s", code, out)
	}
	ps.awaitSet(t, sr.ID, "dev", "committed", 6) // the first three and the rollback's
	if n := ps.commitsBetween(t, before, ps.head(t)); n != 1 {
		t.Errorf("set rollback: %d commits, want 1", n)
	}
	if files := lines(git(t, ps.bare, "diff", "--name-only", before, ps.head(t))); len(files) != 3 {
		t.Errorf("set rollback changed %v, want the three members' files", files)
	}
	if d := git(t, ps.bare, "diff", after, ps.head(t), "--", "envs/dev", "charts/checkout/values-dev.yaml", "apps/dev"); d != "" {
		t.Errorf("dev after the rollback differs from 2.0.0's commit:\n%s", d)
	}

	// The rollback pinned every member in dev at 2.0.0: the next set
	// release reported by CI waits in dev, and unpinning releases it.
	pinned := 0
	for _, m := range first.Members {
		for _, p := range ps.pins(t, "application="+m.Application+"&environment=dev") {
			if p.Active && p.ReleaseID == m.ReleaseID && p.PinnedBy == "rm-one" {
				pinned++
			}
		}
	}
	if pinned != len(first.Members) {
		t.Errorf("after the set rollback %d members pinned in dev at the set's releases, want %d", pinned, len(first.Members))
	}
	var builds []map[string]string
	for _, app := range []string{"checkout", "payments", "notifier"} {
		builds = append(builds, map[string]string{"application": app, "image": ps.reg.host + "/acme/" + app, "tag": "2.3.0",
			"digest": ps.reg.push(t, "acme/"+app, "2.3.0")})
	}
	body, _ := json.Marshal(map[string]any{"set": "shop", "builds": builds})
	r := ps.f.call(t, http.MethodPost, "/api/v1/release-sets", ciToken, bytes.NewReader(body), "Content-Type", "application/json")
	if r.status != http.StatusAccepted && r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("POST /api/v1/release-sets 2.3.0: %d %s", r.status, r.body)
	}
	var sr4 setView
	r.json(t, &sr4)
	held := ps.awaitSet(t, sr4.ID, "dev", "waiting", 3)
	pinnedOverrides := 0
	for _, p := range held.Promotions {
		if !strings.Contains(p.Reason, "pinned by rm-one") {
			t.Errorf("%s 2.3.0 in dev waits with %q, want the pin's reason", p.Application, p.Reason)
		}
	}
	headPinned := ps.head(t)
	time.Sleep(2 * time.Second) // the worker looks again; a pin must keep holding
	if h := ps.head(t); h != headPinned {
		pinnedOverrides++
		t.Errorf("dev moved while the set was pinned: %s → %s", headPinned, h)
	}
	for _, app := range []string{"checkout", "payments", "notifier"} {
		code, out := run(t, []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + rm1Token}, "unpin", app, "dev", "--reason", "2.3.0 fixes checkout")
		if code != 0 {
			t.Fatalf("unpin %s dev: exit %d\n%s", app, code, out)
		}
	}
	ps.awaitSet(t, sr4.ID, "dev", "committed", 3)
	fmt.Printf("release-set: members=%d commits_per_env=%d partial_pushes=%d dry_run_writes=%d pinned_members=%d pinned_overrides=%d\n",
		len(sr.Members), commitsPerEnv, partial, dryRunWrites, pinned, pinnedOverrides)
}
