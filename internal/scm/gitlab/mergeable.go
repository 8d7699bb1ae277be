package gitlab

import "github.com/ferryhq/ferry/internal/promotion"

// notMergeable says why, for each detailed_merge_status other than
// "mergeable", GitLab will not merge (GitLab 15.6 and later). GitLab folds
// into it the project's merge checks: pipelines that must succeed, approval
// rules, change requests, discussions, protected branches, conflicts.
var notMergeable = map[string]string{
	"unchecked":                  "GitLab has not yet checked whether the merge request can merge",
	"checking":                   "GitLab is still checking whether the merge request can merge",
	"preparing":                  "GitLab is still preparing the merge request",
	"approvals_syncing":          "GitLab is still syncing the merge request's approvals",
	"ci_must_pass":               "the project requires a successful pipeline",
	"ci_still_running":           "the project requires a successful pipeline, and it is still running",
	"not_approved":               "GitLab's approval rules are not satisfied",
	"requested_changes":          "a reviewer requested changes",
	"discussions_not_resolved":   "discussions must be resolved",
	"draft_status":               "the merge request is a draft",
	"conflict":                   "the merge request has conflicts",
	"need_rebase":                "the merge request must be rebased",
	"not_open":                   "the merge request is not open",
	"blocked_status":             "the merge request is blocked by another merge request",
	"merge_request_blocked":      "the merge request is blocked by another merge request",
	"external_status_checks":     "external status checks must pass",
	"jira_association_missing":   "the title or description must name a Jira issue",
	"commits_status":             "the source branch has no commits or does not exist",
	"locked_paths":               "paths are locked by another user",
	"locked_lfs_files":           "LFS files are locked by another user",
	"security_policy_violations": "security policies are violated",
	"title_regex":                "the title does not match the project's required pattern",
	"merge_time":                 "the merge request is scheduled to merge later",
}

// mergeability reads detailed_merge_status; a GitLab too old to send it
// (before 15.6) is never taken to allow a merge.
func mergeability(state promotion.PRState, detailed string) (bool, string) {
	if state != promotion.PROpen {
		return false, "the merge request is " + string(state)
	}
	switch detailed {
	case "mergeable":
		return true, ""
	case "":
		return false, "GitLab did not report detailed_merge_status (GitLab 15.6 or later is needed)"
	}
	if why, ok := notMergeable[detailed]; ok {
		return false, why
	}
	return false, "GitLab says the merge request is " + detailed
}

// requiresPipeline reports whether detailed_merge_status says the project
// requires a pipeline that has not succeeded yet, so that no pipeline yet
// means pending rather than "no checks".
func requiresPipeline(detailed string) bool {
	return detailed == "ci_must_pass" || detailed == "ci_still_running"
}
