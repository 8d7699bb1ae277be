package gitea

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestTeamApprovers: stage's approvers are a Gitea team of the
// organisation; carol may write to the repository but is not in the team,
// so her approval does not count ("not in approvers"); alice's, a member's,
// does and merges.
func TestTeamApprovers(t *testing.T) {
	needHost(t)
	team := fmt.Sprintf("release-managers-%d", repoSeq.Add(1))
	// Gitea lets only a team's members (and the organisation's owners)
	// read who is in it (403 otherwise), so Ferry's bot is in the team; as
	// the pull requests' author its own approval never counts anyway.
	newTeam(t, team, alice, bot)
	s := newStack(t, stackOptions{environments: `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: pull-request
    gates: {approvals: 1, autoMerge: true, approvers: ["team:` + team + `"]}
`})
	_, stage, pr := s.openPR("1.0.0")
	mark := s.hooks.mark()
	s.approve(carol, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	p := s.promotion(stage.ID)
	s.mustNotCount(stage.ID, carol, false)
	if want := carol + ": not in approvers"; !strings.Contains(p.Reason, want) {
		t.Errorf("after carol's approval: %s %q, want the reason to say %q", p.State, p.Reason, want)
	}
	s.approve(alice, pr.Number, pr.Head.SHA)
	if p := s.awaitID(stage.ID, "merged"); !slices.Equal(p.Approvers, []string{alice}) {
		t.Errorf("merged with approvers %v, want only %s (the team's member)", p.Approvers, alice)
	}
}

// newTeam creates a team of the organisation with members.
func newTeam(t *testing.T, name string, members ...string) {
	t.Helper()
	st, body, err := host.raw(admin, http.MethodPost, "/api/v1/orgs/"+org+"/teams", map[string]any{
		"name": name, "permission": "read", "units": []string{"repo.code", "repo.pulls"},
	})
	if err != nil || st != http.StatusCreated {
		t.Fatalf("creating team %s: %d %s %v", name, st, body, err)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if st, body, err := host.raw(admin, http.MethodPut, fmt.Sprintf("/api/v1/teams/%d/members/%s", created.ID, u), nil); err != nil || st != http.StatusNoContent {
			t.Fatalf("adding %s to team %s: %d %s %v", u, name, st, body, err)
		}
	}
}
