package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// setReleasesListed lists the set releases of shop, newest first.
func (ps *pipelineStack) setReleasesListed(t *testing.T) []struct {
	ID, Formed string
	Members    []struct {
		Application string
		ReleaseID   string `json:"release_id"`
	}
} {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/release-sets?set=shop", readToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET release sets: %d %s", r.status, r.body)
	}
	var page struct {
		Items []struct {
			ID, Formed string
			Members    []struct {
				Application string
				ReleaseID   string `json:"release_id"`
			}
		}
	}
	r.json(t, &page)
	return page.Items
}

// ownPromotionsInto counts the promotions into env of single applications
// (no set release).
func (ps *pipelineStack) ownPromotionsInto(t *testing.T, env string) int {
	t.Helper()
	r := ps.f.call(t, http.MethodGet, "/api/v1/promotions?environment="+env+"&limit=500", readToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET promotions into %s: %d %s", env, r.status, r.body)
	}
	var page struct {
		Items []struct {
			ID         string
			SetRelease string `json:"set_release"`
		}
	}
	r.json(t, &page)
	n := 0
	for _, p := range page.Items {
		if p.SetRelease == "" {
			n++
		}
	}
	return n
}

// TestReleaseSetFormsFromMembers: CI reports the set's three members one
// by one with ferry notify --application; each lands in dev with its own
// commit and goes no further; when the third completes there, Ferry forms
// the set release from the three and it moves to stage as one pull request
// and one merge.
func TestReleaseSetFormsFromMembers(t *testing.T) {
	ps := startPipelineWith(t, setPipelineYAML)
	env := []string{"FERRY_SERVER=" + ps.f.url, "FERRY_TOKEN=" + ciToken}
	before := ps.head(t)
	releases := map[string]string{}
	for i, app := range []string{"checkout", "payments", "notifier"} {
		ps.reg.push(t, "acme/"+app, "3.0.0")
		code, out := run(t, env, "notify", "--application", app, "--image", ps.reg.host+"/acme/"+app, "--tag", "3.0.0", "--wait", "60s", "-o", "json")
		if code != 0 {
			t.Fatalf("notify %s: exit %d\n%s", app, code, out)
		}
		var a buildAnswer
		if err := json.Unmarshal([]byte(out), &a); err != nil || a.Promotion.State != "committed" || a.Promotion.Environment != "dev" {
			t.Fatalf("notify %s answer: %v\n%s", app, err, out)
		}
		releases[app] = a.Release.ID
		if i < 2 {
			if got := ps.setReleasesListed(t); len(got) != 0 {
				t.Fatalf("set releases after %d of 3 members reached dev: %+v", i+1, got)
			}
		}
	}
	devCommits := ps.commitsBetween(t, before, ps.head(t))
	if devCommits != 3 {
		t.Errorf("dev: %d commits for three members reported one by one, want 3", devCommits)
	}

	deadline := time.Now().Add(30 * time.Second)
	sets := ps.setReleasesListed(t)
	for len(sets) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		sets = ps.setReleasesListed(t)
	}
	if len(sets) != 1 {
		t.Fatalf("set releases after the third member completed in dev: %+v, want 1\n%s", sets, ps.f.output())
	}
	formed := 0
	if sets[0].Formed == "members" {
		formed++
	} else {
		t.Errorf("set release formed %q, want members", sets[0].Formed)
	}
	for _, m := range sets[0].Members {
		if m.ReleaseID != releases[m.Application] {
			t.Errorf("%s in the formed set: release %s, want %s (what completed in dev)", m.Application, m.ReleaseID, releases[m.Application])
		}
	}

	id := sets[0].ID
	open := ps.awaitSet(t, id, "stage", "pr-open", 3)
	prs := map[int]bool{}
	for _, p := range open.Promotions {
		prs[p.PRNumber] = true
	}
	if len(prs) != 1 {
		t.Errorf("stage: pull requests %v, want one for the set", prs)
	}
	stageBefore := ps.head(t)
	ps.decide(t, rm1Token, open.Promotions[0].ID, "approve")
	merged := ps.awaitSet(t, id, "stage", "merged", 3)
	merges := map[string]bool{}
	for _, p := range merged.Promotions {
		merges[p.MergeSHA] = true
	}
	stageCommits := ps.commitsBetween(t, stageBefore, ps.head(t))
	if len(merges) != 1 || stageCommits != 1 {
		t.Errorf("stage: merges %v, %d first-parent commits; want one merge for the set", merges, stageCommits)
	}
	if files := lines(git(t, ps.bare, "diff", "--name-only", stageBefore, ps.head(t))); len(files) != 3 ||
		!strings.Contains(strings.Join(files, " "), "values-stage.yaml") {
		t.Errorf("stage merge changed %v, want the three members' stage files", files)
	}
	alone := ps.ownPromotionsInto(t, "stage") + ps.ownPromotionsInto(t, "prod")
	if alone != 0 {
		t.Errorf("%d promotions of single members into stage or prod, want none: members move on only as a set", alone)
	}
	ps.awaitSet(t, id, "prod", "pr-open", 3) // and on to prod as a set
	fmt.Printf("release-set-formed: members=%d formed_from_members=%d dev_commits=%d stage_prs=%d stage_commits=%d single_member_promotions_beyond_dev=%d\n",
		len(sets[0].Members), formed, devCommits, len(prs), stageCommits, alone)
}
