package gitea

import (
	"fmt"
	"strings"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/promotion"
)

// mergeability reads Gitea's verdict on an open PR. Gitea's own
// "mergeable" says only that the head merges without conflicts (it is
// false while Gitea is still checking); the base branch's protection,
// readable with read access through "Get a branch", adds the rest: whether
// Ferry's account may merge, how many official approvals it requires, and
// which status checks must pass.
func mergeability(pr *sdk.PullRequest, base *sdk.Branch, out promotion.PR, missing []string) (bool, string) {
	switch {
	case pr.State != sdk.StateOpen:
		return false, "the pull request is " + string(pr.State)
	case !pr.Mergeable:
		return false, "Gitea reports merge conflicts, or is still checking whether the pull request can merge"
	case base == nil || !base.Protected:
		return true, ""
	case !base.UserCanMerge:
		return false, fmt.Sprintf("branch protection of %s does not let Ferry's account merge", base.Name)
	case base.RequiredApprovals > int64(len(out.Approvers)):
		return false, fmt.Sprintf("branch protection of %s requires %d official approvals, %d counted", base.Name, base.RequiredApprovals, len(out.Approvers))
	case len(missing) > 0:
		return false, fmt.Sprintf("required check %s not reported yet", strings.Join(quoted(missing), ", "))
	case base.EnableStatusCheck && len(base.StatusCheckContexts) > 0 && out.Checks != promotion.ChecksPassed:
		return false, fmt.Sprintf("branch protection of %s requires passing status checks; they are %s", base.Name, out.Checks)
	}
	return true, ""
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}
