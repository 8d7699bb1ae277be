package bitbucketdc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
)

// reviews reports each reviewer's approval, with whether it counts, and
// who marked the PR "needs work". Bitbucket records the commit each
// reviewer last reviewed: an approval of an older commit is stale (when
// the repository does not reset approvals on push, Bitbucket keeps it
// APPROVED). Participants who approve count like reviewers, as Bitbucket's
// minimum-approvals check counts them.
func reviews(pr pullRequest) ([]promotion.Approval, []string) {
	var (
		approvals []promotion.Approval
		changes   []string
		seen      = map[string]bool{}
	)
	for _, r := range slices.Concat(pr.Reviewers, pr.Participants) {
		name := r.User.Name
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		switch r.Status {
		case "NEEDS_WORK":
			changes = append(changes, name)
			continue
		case "APPROVED":
		default:
			continue
		}
		a := promotion.Approval{User: name}
		switch {
		case name == pr.Author.User.Name:
			a.Reason = promotion.ReasonAuthor
		case r.LastReviewedCommit != "" && r.LastReviewedCommit != pr.FromRef.LatestCommit:
			a.Reason = promotion.ReasonStale
		}
		a.Counted = a.Reason == ""
		approvals = append(approvals, a)
	}
	slices.SortFunc(approvals, func(a, b promotion.Approval) int { return strings.Compare(a.User, b.User) })
	slices.Sort(changes)
	return approvals, changes
}

// buildStatus is one build result on a commit
// (https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-build-status/#api-build-status-latest-commits-commitid-get).
type buildStatus struct {
	Key   string `json:"key"`
	State string `json:"state"` // SUCCESSFUL, FAILED, INPROGRESS
}

// checks sums up the build statuses of sha.
func (p *Provider) checks(ctx context.Context, sha string) (promotion.Checks, error) {
	if sha == "" {
		return promotion.ChecksUnknown, nil
	}
	var states []string
	start := 0
	for {
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(pageLimit)}}
		var pg page[buildStatus]
		if err := p.do(ctx, "GET", p.root+"/rest/build-status/1.0/commits/"+url.PathEscape(sha)+"?"+q.Encode(), nil, &pg, "reading the build statuses of %s", sha); err != nil {
			return "", err
		}
		for _, s := range pg.Values {
			states = append(states, s.State)
		}
		if pg.IsLastPage || pg.NextPageStart <= start {
			break
		}
		start = pg.NextPageStart
	}
	switch {
	case len(states) == 0:
		return promotion.ChecksUnknown, nil
	case slices.Contains(states, "FAILED"):
		return promotion.ChecksFailed, nil
	case slices.Contains(states, "INPROGRESS"):
		return promotion.ChecksPending, nil
	}
	return promotion.ChecksPassed, nil
}

// veto is a merge check that refuses the merge.
type veto struct {
	SummaryMessage  string `json:"summaryMessage"`
	DetailedMessage string `json:"detailedMessage"`
}

// mergeStatus is Bitbucket's own verdict
// (https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-pull-requests/#api-api-latest-projects-projectkey-repos-repositoryslug-pull-requests-pullrequestid-merge-get).
type mergeStatus struct {
	CanMerge   bool   `json:"canMerge"`
	Conflicted bool   `json:"conflicted"`
	Outcome    string `json:"outcome"` // CLEAN, CONFLICTED, UNKNOWN
	Vetoes     []veto `json:"vetoes"`
}

// mergeability asks Bitbucket whether the PR can merge now: its merge
// checks (required approvals, builds, needs-work, tasks, plugins) answer
// as vetoes, whose summaries become the reason.
func (p *Provider) mergeability(ctx context.Context, number int) (bool, string, error) {
	var st mergeStatus
	if err := p.do(ctx, "GET", fmt.Sprintf("%s/pull-requests/%d/merge", p.api, number), nil, &st, "reading the merge checks of pull request #%d", number); err != nil {
		return false, "", err
	}
	if st.CanMerge {
		return true, "", nil
	}
	var why []string
	if st.Conflicted || st.Outcome == "CONFLICTED" {
		why = append(why, "Bitbucket reports merge conflicts")
	}
	for _, v := range st.Vetoes {
		why = append(why, v.SummaryMessage)
	}
	if len(why) == 0 {
		why = append(why, "Bitbucket's merge checks refuse the merge")
	}
	return false, strings.Join(why, "; "), nil
}
