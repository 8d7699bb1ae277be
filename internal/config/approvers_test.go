package config

import (
	"slices"
	"testing"
)

// TestParsePipelineApprovers: an environment's approvers list users and
// teams; ApproverTeam tells them apart.
func TestParsePipelineApprovers(t *testing.T) {
	y := "environments:\n  - name: prod\n    gates:\n      approvals: 2\n      approvers: [alice, \"team:release-managers\", \"group:acme/ops\"]\n"
	p, err := ParsePipeline([]byte(y), "main")
	if err != nil {
		t.Fatal(err)
	}
	g := p.Environments[0].Gates
	if want := []string{"alice", "team:release-managers", "group:acme/ops"}; g.Approvals != 2 || !slices.Equal(g.Approvers, want) {
		t.Fatalf("gates = %+v, want approvals 2 and approvers %q", g, want)
	}
	var teams, users []string
	for _, a := range g.Approvers {
		if team, ok := ApproverTeam(a); ok {
			teams = append(teams, team)
		} else {
			users = append(users, a)
		}
	}
	if !slices.Equal(teams, []string{"release-managers", "acme/ops"}) || !slices.Equal(users, []string{"alice"}) {
		t.Errorf("teams %q, users %q", teams, users)
	}
}
