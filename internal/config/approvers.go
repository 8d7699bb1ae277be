package config

import (
	"fmt"
	"strings"
)

// Prefixes of a team or group in Gates.Approvers; both mean the Git
// host's own grouping of people (GitHub and Gitea teams, GitLab groups).
const (
	teamPrefix  = "team:"
	groupPrefix = "group:"
)

// ApproverTeam returns the team named by an entry of Gates.Approvers
// ("team:release-managers" or "group:acme/release"), or false when the
// entry names a user.
func ApproverTeam(entry string) (string, bool) {
	if t, ok := strings.CutPrefix(entry, teamPrefix); ok {
		return t, true
	}
	if t, ok := strings.CutPrefix(entry, groupPrefix); ok {
		return t, true
	}
	return "", false
}

func validateApprovers(errs *fieldErrors, f string, approvers []string) {
	seen := map[string]bool{}
	for i, a := range approvers {
		fi := fmt.Sprintf("%s[%d]", f, i)
		name := a
		if t, ok := ApproverTeam(a); ok {
			name = t
		}
		switch {
		case name == "" || strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\n"):
			errs.add(fi, "%q must name a user, or a team as team:<name>", a)
		case strings.Contains(a, ":") && name == a:
			errs.add(fi, "%q: only team: and group: prefixes are known", a)
		case seen[a]:
			errs.add(fi, "%q is listed twice", a)
		}
		seen[a] = true
	}
}
