package bitbucket

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// activity is one entry of a pull request's activity log, newest first
// (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-activity-get).
type activity struct {
	Update *struct {
		Date   time.Time `json:"date"`
		Source ref       `json:"source"`
	} `json:"update"`
	Approval *struct {
		Date time.Time `json:"date"`
		User user      `json:"user"`
	} `json:"approval"`
}

// onHead returns who approved PR number since head arrived. Bitbucket
// Cloud's participants say only that someone approved, not on which commit;
// its activity log says when each approval was given and when each push
// updated the source, so an approval older than the push of head is stale.
// The log is read newest first and only until the previous head.
func (p *Provider) onHead(ctx context.Context, number int, head string) (map[string]bool, error) {
	approvedAt := map[string]time.Time{}
	var since time.Time
	next := fmt.Sprintf("%s/pullrequests/%d/activity?%s", p.api, number, url.Values{"pagelen": {"50"}}.Encode())
walk:
	for next != "" {
		var pg page[activity]
		if err := p.do(ctx, "GET", next, nil, &pg, "reading the activity of pull request #%d", number); err != nil {
			return nil, err
		}
		for _, a := range pg.Values {
			switch {
			case a.Approval != nil:
				if _, seen := approvedAt[a.Approval.User.UUID]; !seen {
					approvedAt[a.Approval.User.UUID] = a.Approval.Date
				}
			case a.Update != nil && sameCommit(a.Update.Source.Commit.Hash, head):
				since = a.Update.Date
			case a.Update != nil:
				break walk
			}
		}
		next = pg.Next
	}
	out := map[string]bool{}
	for uuid, at := range approvedAt {
		out[uuid] = !at.Before(since)
	}
	return out, nil
}

// reviews reports each participant's approval, with whether it counts,
// and who requests changes. An approval counts when Bitbucket shows it
// (approved: true), it was given on the current head, and it is not the
// author's. A participant whose state is changes_requested blocks.
func reviews(pr pullRequest, onHead map[string]bool) ([]promotion.Approval, []string) {
	var (
		approvals []promotion.Approval
		changes   []string
	)
	for _, pt := range pr.Participants {
		name := pt.User.name()
		if pt.State != nil && *pt.State == "changes_requested" {
			changes = append(changes, name)
			continue
		}
		if !pt.Approved {
			continue
		}
		a := promotion.Approval{User: name}
		switch {
		case pt.User.UUID == pr.Author.UUID:
			a.Reason = promotion.ReasonAuthor
		case !onHead[pt.User.UUID]:
			a.Reason = promotion.ReasonStale
		}
		a.Counted = a.Reason == ""
		approvals = append(approvals, a)
	}
	slices.SortFunc(approvals, func(a, b promotion.Approval) int { return strings.Compare(a.User, b.User) })
	slices.Sort(changes)
	return approvals, changes
}

// commitStatus is a build status on a commit
// (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/#api-repositories-workspace-repo-slug-commit-commit-statuses-get).
type commitStatus struct {
	Key   string `json:"key"`
	State string `json:"state"` // SUCCESSFUL, FAILED, INPROGRESS, STOPPED
}

// checks sums up the build statuses of sha: any failed or stopped build
// fails, any running one keeps it pending.
func (p *Provider) checks(ctx context.Context, sha string) (promotion.Checks, error) {
	if sha == "" {
		return promotion.ChecksUnknown, nil
	}
	var states []string
	next := fmt.Sprintf("%s/commit/%s/statuses?pagelen=100", p.api, url.PathEscape(sha))
	for next != "" {
		var pg page[commitStatus]
		if err := p.do(ctx, "GET", next, nil, &pg, "reading the build statuses of %s", sha); err != nil {
			return "", err
		}
		for _, s := range pg.Values {
			states = append(states, s.State)
		}
		next = pg.Next
	}
	switch {
	case len(states) == 0:
		return promotion.ChecksUnknown, nil
	case slices.Contains(states, "FAILED") || slices.Contains(states, "STOPPED"):
		return promotion.ChecksFailed, nil
	case slices.Contains(states, "INPROGRESS"):
		return promotion.ChecksPending, nil
	}
	return promotion.ChecksPassed, nil
}

// mergeability is what Bitbucket Cloud lets Ferry read of its merge
// checks: a change request and failed or running builds. Its branch
// restrictions need admin rights to read, and conflicts show only when
// merging (409), so a true here may still be refused by the merge.
func mergeability(pr promotion.PR) (bool, string) {
	switch {
	case pr.State != promotion.PROpen:
		return false, "the pull request is " + string(pr.State)
	case len(pr.ChangesRequested) > 0:
		return false, "changes requested by " + strings.Join(pr.ChangesRequested, ", ")
	case pr.Checks == promotion.ChecksFailed:
		return false, "a build failed on the head commit"
	case pr.Checks == promotion.ChecksPending:
		return false, "builds are still running on the head commit"
	}
	return true, ""
}
