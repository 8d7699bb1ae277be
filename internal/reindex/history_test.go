package reindex

import (
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
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

// commitOf writes a commit as the engine does; a merge commit when merged
// names a branch.
func commitOf(sha, merged string, when time.Time, entries ...commitmsg.Entry) gitrepo.CommitInfo {
	msg := commitmsg.Format(entries)
	if merged != "" {
		msg = commitmsg.FormatMerge(merged, entries)
	}
	return gitrepo.CommitInfo{SHA: sha, Message: msg, When: when}
}

func TestRebuildRestoresWhatCommitsCarry(t *testing.T) {
	p, err := config.ParsePipeline([]byte(reindexPipeline), "main")
	if err != nil {
		t.Fatal(err)
	}
	ts := pipelineTargets(p, "main")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	img := func(app, tag string) string { return "registry.example.com/acme/" + app + ":" + tag + "@sha256:" + tag }
	e := func(rel, pro, app, tag, env string) commitmsg.Entry {
		return commitmsg.Entry{Release: rel, Promotion: pro, Application: app, Environment: env, Image: img(app, tag),
			Path: "envs/" + env + "/" + app + "/kustomization.yaml", RequestedBy: "ci"}
	}
	forced := e("r1", "p1s", "payments", "v1", "stage")
	forced.RequestedBy, forced.ForcedBy = "alice", "alice"
	approved := e("r2", "p2s", "payments", "v2", "stage")
	approved.ApprovedBy, approved.MergedBy = []string{"bob", "carol"}, "carol"
	main := []gitrepo.CommitInfo{ // newest first, as History gives them
		commitOf("m1", "ferry/payments/stage", t0.Add(5*time.Minute), approved),
		commitOf("c4", "", t0.Add(4*time.Minute), e("r2", "p2s", "payments", "v2", "stage")),
		commitOf("c3", "", t0.Add(3*time.Minute), forced),
		commitOf("c2", "", t0.Add(2*time.Minute), e("r2", "p2", "payments", "v2", "dev"), e("r3", "p3", "ledger", "l1", "dev")),
		commitOf("c1", "", t0.Add(time.Minute), e("r1", "p1", "payments", "v1", "dev")),
		commitOf("c0", "", t0, e("r9", "p9", "stranger", "x", "dev")),
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
	if !reflect.DeepEqual(h.Releases, wantReleases) {
		t.Errorf("releases:\n got %+v\nwant %+v", h.Releases, wantReleases)
	}
	prom := func(id, rel, app, env string, st promotion.State, commit string, when time.Time) promotion.Promotion {
		return promotion.Promotion{ID: id, ReleaseID: rel, Application: app, Environment: env, State: st,
			CommitSHA: commit, CreatedAt: when, UpdatedAt: when, Actor: "reindex", RequestedBy: "ci", Note: "restored by ferry reindex from commit " + commit}
	}
	merged := prom("p2s", "r2", "payments", "stage", promotion.StateMerged, "c4", t0.Add(4*time.Minute))
	merged.MergeSHA, merged.PRBranch, merged.Note = "m1", "ferry/payments/stage", "restored by ferry reindex from commit m1"
	merged.MergedBy, merged.Approvers = "carol", []string{"bob", "carol"}
	superseded := prom("p1s", "r1", "payments", "stage", promotion.StateSuperseded, "c3", t0.Add(3*time.Minute))
	superseded.PRBranch, superseded.RequestedBy, superseded.Forced = "ferry/payments/stage", "alice", true
	superseded.Reason = "superseded in the same pull request (restored by ferry reindex: a newer release was merged)"
	want := map[string][]promotion.Promotion{
		"r1": {superseded, prom("p1", "r1", "payments", "dev", promotion.StateCommitted, "c1", t0.Add(time.Minute))},
		"r2": {merged, prom("p2", "r2", "payments", "dev", promotion.StateCommitted, "c2", t0.Add(2*time.Minute))},
		"r3": {prom("p3", "r3", "ledger", "dev", promotion.StateCommitted, "c2", t0.Add(2*time.Minute))},
	}
	for id, ps := range want {
		if !reflect.DeepEqual(h.Promotions[id], ps) {
			t.Errorf("promotions of %s:\n got %+v\nwant %+v", id, h.Promotions[id], ps)
		}
	}
	if len(h.Skipped) != 1 {
		t.Errorf("skipped = %q, want the stranger's commit only", h.Skipped)
	}

	// With a Git host's provider the merge commit carries no trailers:
	// what reached the base through a pull request counts as merged.
	hosted := rebuild(ts, []branchCommits{{branch: "main", commits: main[1:]}}, false)
	for _, p := range hosted.Promotions["r1"] {
		if p.Environment == "stage" && p.State != promotion.StateMerged {
			t.Errorf("hosted stage promotion %s is %s, want merged", p.ID, p.State)
		}
	}
}
