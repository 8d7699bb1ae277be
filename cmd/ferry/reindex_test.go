package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
)

const reindexPipeline = `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: pull-request
applications:
  - name: payments
    image: registry.example.com/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
  - name: ledger
    image: registry.example.com/acme/ledger
    target:
      kind: kustomize
      path: envs/{env}/ledger/kustomization.yaml
`

func TestParseEntries(t *testing.T) {
	msg := "dev ← 2 releases\n\n" +
		"- payments: registry.example.com/acme/payments:v1@sha256:aa → dev (envs/dev/payments/kustomization.yaml)\n" +
		"  source: https://git.example.com/acme/payments 0123abc\n" +
		"- ledger: registry.example.com/acme/ledger:v2@sha256:bb → dev (envs/dev/ledger/kustomization.yaml)\n\n" +
		"Ferry-Release: rel-1\nFerry-Promotion: pro-1\nFerry-Image: registry.example.com/acme/payments:v1@sha256:aa\n" +
		"Ferry-Source-Commit: 0123abc\nFerry-CI-Run: https://ci.example.com/1\n" +
		"Ferry-Release: rel-2\nFerry-Promotion: pro-2\nFerry-Image: registry.example.com/acme/ledger:v2@sha256:bb\n"
	want := []trailerEntry{
		{release: "rel-1", promotion: "pro-1", image: "registry.example.com/acme/payments:v1@sha256:aa",
			sourceCommit: "0123abc", ciRun: "https://ci.example.com/1",
			app: "payments", env: "dev", path: "envs/dev/payments/kustomization.yaml", sourceRepo: "https://git.example.com/acme/payments"},
		{release: "rel-2", promotion: "pro-2", image: "registry.example.com/acme/ledger:v2@sha256:bb",
			app: "ledger", env: "dev", path: "envs/dev/ledger/kustomization.yaml"},
	}
	if got := parseEntries(msg); !reflect.DeepEqual(got, want) {
		t.Errorf("parseEntries:\n got %+v\nwant %+v", got, want)
	}
}

func TestSplitImage(t *testing.T) {
	for _, tc := range []struct{ ref, repo, tag, digest string }{
		{"registry.example.com:5000/acme/payments:v1.2@sha256:aa", "registry.example.com:5000/acme/payments", "v1.2", "sha256:aa"},
		{"127.0.0.1:5000/acme/x:latest@sha256:bb", "127.0.0.1:5000/acme/x", "latest", "sha256:bb"},
		{"registry.example.com:5000/acme/payments@sha256:aa", "", "", ""},
		{"acme/payments:v1", "", "", ""},
	} {
		repo, tag, digest, ok := splitImage(tc.ref)
		if repo != tc.repo || tag != tc.tag || digest != tc.digest || ok != (tc.repo != "") {
			t.Errorf("splitImage(%q) = %q %q %q %v", tc.ref, repo, tag, digest, ok)
		}
	}
}

// commitOf writes a commit as the engine does: one body line and one
// trailer block per promotion.
func commitOf(sha, subject string, when time.Time, entries ...trailerEntry) gitrepo.CommitInfo {
	msg := subject + "\n\n"
	for _, e := range entries {
		msg += "- " + e.app + ": " + e.image + " → " + e.env + " (" + e.path + ")\n"
	}
	msg += "\n"
	for _, e := range entries {
		msg += "Ferry-Release: " + e.release + "\nFerry-Promotion: " + e.promotion + "\nFerry-Image: " + e.image + "\n"
	}
	return gitrepo.CommitInfo{SHA: sha, Message: msg, When: when}
}

func TestRebuild(t *testing.T) {
	p, err := config.ParsePipeline([]byte(reindexPipeline), "main")
	if err != nil {
		t.Fatal(err)
	}
	ts := pipelineTargets(p, "main")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	img := func(app, tag string) string { return "registry.example.com/acme/" + app + ":" + tag + "@sha256:" + tag }
	e := func(rel, pro, app, tag, env string) trailerEntry {
		return trailerEntry{release: rel, promotion: pro, app: app, env: env, image: img(app, tag),
			path: "envs/" + env + "/" + app + "/kustomization.yaml"}
	}
	main := []gitrepo.CommitInfo{ // newest first, as History gives them
		commitOf("m1", "Merge ferry/payments/stage: payments: stage ← v2 (sha256:v2)", t0.Add(5*time.Minute), e("r2", "p2s", "payments", "v2", "stage")),
		commitOf("c4", "payments: stage ← v2", t0.Add(4*time.Minute), e("r2", "p2s", "payments", "v2", "stage")),
		commitOf("c3", "payments: stage ← v1", t0.Add(3*time.Minute), e("r1", "p1s", "payments", "v1", "stage")),
		commitOf("c2", "dev ← 2 releases", t0.Add(2*time.Minute), e("r2", "p2", "payments", "v2", "dev"), e("r3", "p3", "ledger", "l1", "dev")),
		commitOf("c1", "payments: dev ← v1", t0.Add(time.Minute), e("r1", "p1", "payments", "v1", "dev")),
		commitOf("c0", "stranger: dev ← x", t0, e("r9", "p9", "stranger", "x", "dev")),
		{SHA: "seed", Message: "seed\n", When: t0},
	}
	h := rebuild(ts, []branchCommits{{branch: "main", commits: main}}, true)

	rel := func(id, app, tag string, when time.Time) promotion.Release {
		return promotion.Release{ID: id, Application: app, Repository: "registry.example.com/acme/" + app, Tag: tag,
			Digest: "sha256:" + tag, ReportedBy: "reindex", CreatedAt: when}
	}
	wantReleases := map[string]promotion.Release{
		"r1": rel("r1", "payments", "v1", t0.Add(time.Minute)),
		"r2": rel("r2", "payments", "v2", t0.Add(2*time.Minute)),
		"r3": rel("r3", "ledger", "l1", t0.Add(2*time.Minute)),
	}
	if !reflect.DeepEqual(h.releases, wantReleases) {
		t.Errorf("releases:\n got %+v\nwant %+v", h.releases, wantReleases)
	}
	prom := func(id, rel, app, env string, st promotion.State, commit string, when time.Time) promotion.Promotion {
		return promotion.Promotion{ID: id, ReleaseID: rel, Application: app, Environment: env, State: st,
			CommitSHA: commit, CreatedAt: when, UpdatedAt: when, Actor: "reindex", Note: "restored by ferry reindex from commit " + commit}
	}
	merged := prom("p2s", "r2", "payments", "stage", promotion.StateMerged, "c4", t0.Add(4*time.Minute))
	merged.MergeSHA, merged.PRBranch, merged.Note = "m1", "ferry/payments/stage", "restored by ferry reindex from commit m1"
	superseded := prom("p1s", "r1", "payments", "stage", promotion.StateSuperseded, "c3", t0.Add(3*time.Minute))
	superseded.PRBranch = "ferry/payments/stage"
	superseded.Reason = "superseded in the same pull request (restored by ferry reindex: a newer release was merged)"
	want := map[string][]promotion.Promotion{
		"r1": {superseded, prom("p1", "r1", "payments", "dev", promotion.StateCommitted, "c1", t0.Add(time.Minute))},
		"r2": {merged, prom("p2", "r2", "payments", "dev", promotion.StateCommitted, "c2", t0.Add(2*time.Minute))},
		"r3": {prom("p3", "r3", "ledger", "dev", promotion.StateCommitted, "c2", t0.Add(2*time.Minute))},
	}
	for id, ps := range want {
		if !reflect.DeepEqual(h.promotions[id], ps) {
			t.Errorf("promotions of %s:\n got %+v\nwant %+v", id, h.promotions[id], ps)
		}
	}
	if len(h.skipped) != 1 {
		t.Errorf("skipped = %q, want the stranger's commit only", h.skipped)
	}

	// With a Git host's provider the merge commit carries no trailers:
	// what reached the base through a pull request counts as merged.
	hosted := rebuild(ts, []branchCommits{{branch: "main", commits: main[1:]}}, false)
	for _, p := range hosted.promotions["r1"] {
		if p.Environment == "stage" && p.State != promotion.StateMerged {
			t.Errorf("hosted stage promotion %s is %s, want merged", p.ID, p.State)
		}
	}
}
