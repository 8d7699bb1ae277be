package notify

import (
	"net/url"
	"strings"
)

// sourceRepoPath is the owner/name (GitLab: group/…/name) of a report's
// source_repo, given as a web or clone URL ("https://github.com/acme/app",
// "git@github.com:acme/app.git") or as the path itself; "" when it names
// none.
func sourceRepoPath(repo string) string {
	switch {
	case strings.Contains(repo, "://"):
		u, err := url.Parse(repo)
		if err != nil {
			return ""
		}
		repo = u.Path
	case strings.HasPrefix(repo, "git@"):
		_, repo, _ = strings.Cut(repo, ":")
	}
	repo = strings.TrimSuffix(strings.Trim(repo, "/"), ".git")
	if !strings.Contains(repo, "/") {
		return ""
	}
	return repo
}

// deployment says what a message tells a Git host about the source commit:
// its phase (pending, success, failure, inactive) or ok false when the
// event tells it nothing (a report, an approval, a pin) or the release
// names no source.
func deployment(m Message) (repo, phase string, ok bool) {
	repo = sourceRepoPath(m.SourceRepo)
	if repo == "" || m.SourceCommit == "" || m.Environment == "" || m.PromotionID == "" {
		return "", "", false
	}
	switch m.State {
	case "pending", "waiting", "pr-open":
		phase = "pending"
	case "committed", "merged":
		phase = "success"
	case "failed", "rejected":
		phase = "failure"
	case "superseded":
		phase = "inactive"
	default:
		return "", "", false
	}
	return repo, phase, true
}

// description is the one line a host shows next to the status.
func (m Message) description() string {
	d := m.Text()
	if len(d) > 140 { // GitHub caps descriptions at 140 characters
		d = d[:137] + "…"
	}
	return d
}

func apiURL(base string, parts ...string) string {
	return strings.TrimSuffix(base, "/") + "/" + strings.Join(parts, "/")
}
