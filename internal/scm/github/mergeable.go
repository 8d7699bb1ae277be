package github

import (
	"fmt"
	"strings"

	gh "github.com/google/go-github/v88/github"
)

// mergeability reads GitHub's verdict on an open PR: mergeable (null while
// GitHub computes it after a push) and mergeable_state, which folds in
// branch protection, rulesets, required reviews and checks, CODEOWNERS and
// conflicts. Only "clean", "has_hooks" and "unstable" (failing checks that
// are not required) let a merge through; "unknown" is not yet mergeable.
// missing names required checks not reported yet on the head, which
// GitHub reports only as "blocked".
func mergeability(pr *gh.PullRequest, missing []string) (bool, string) {
	if pr.GetState() != "open" {
		return false, "the pull request is " + pr.GetState()
	}
	if len(missing) > 0 {
		return false, fmt.Sprintf("required check %s not reported yet", strings.Join(quoted(missing), ", "))
	}
	state := pr.GetMergeableState()
	switch {
	case pr.Mergeable == nil || state == "unknown" || state == "":
		return false, "GitHub is still working out whether the pull request can merge"
	case !pr.GetMergeable() || state == "dirty":
		return false, "the pull request has merge conflicts"
	}
	switch state {
	case "clean", "has_hooks", "unstable":
		return true, ""
	case "blocked":
		return false, "GitHub's branch protection or rulesets block the merge (required reviews, checks or code owners)"
	case "behind":
		return false, "the head branch is behind the base, and the base requires it to be up to date"
	case "draft":
		return false, "the pull request is a draft"
	}
	return false, "GitHub says the pull request is " + state
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}
