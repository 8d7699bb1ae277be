package azuredevops

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// Votes a reviewer gives
// (https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-reviewers/create-pull-request-reviewer?view=azure-devops-rest-7.1).
const (
	voteApproved                = 10
	voteApprovedWithSuggestions = 5
	voteWaitingForAuthor        = -5
	voteRejected                = -10
)

// iteration is one push to the pull request's source
// (https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-iterations/list?view=azure-devops-rest-7.1).
type iteration struct {
	ID              int       `json:"id"`
	CreatedDate     time.Time `json:"createdDate"`
	SourceRefCommit commitRef `json:"sourceRefCommit"`
}

// thread is a comment thread; Azure DevOps records each vote as a system
// thread of type VoteUpdate naming the voter
// (https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-threads/list?view=azure-devops-rest-7.1).
type thread struct {
	PublishedDate time.Time                   `json:"publishedDate"`
	Properties    map[string]propertyValue    `json:"properties"`
	Identities    map[string]identity         `json:"identities"`
	Comments      []struct{ Author identity } `json:"comments"`
}

type propertyValue struct {
	Value any `json:"$value"`
}

func (t thread) prop(name string) string {
	v, ok := t.Properties[name]
	if !ok || v.Value == nil {
		return ""
	}
	return fmt.Sprint(v.Value)
}

// votes reports each person's vote: approvals (10, 5) with whether they
// count, and who waits for the author or rejected (-5, -10). Reviewers'
// votes carry no commit, so the vote's own thread dates it: a vote cast
// before the push that made the current head is stale (Azure DevOps keeps
// it unless the branch policy resets votes on push). A vote Ferry cannot
// date counts only if the source was never pushed to since the PR opened.
// Group reviewers (isContainer) are skipped: their vote is a member's.
func (p *Provider) votes(ctx context.Context, pr pullRequest) ([]promotion.Approval, []string, error) {
	var (
		approvals []promotion.Approval
		changes   []string
		voters    []reviewer
	)
	for _, r := range pr.Reviewers {
		if r.IsContainer || r.UniqueName == "" {
			continue
		}
		switch {
		case r.Vote == voteWaitingForAuthor || r.Vote == voteRejected:
			changes = append(changes, r.UniqueName)
		case r.Vote == voteApproved || r.Vote == voteApprovedWithSuggestions:
			voters = append(voters, r)
		}
	}
	slices.Sort(changes)
	if len(voters) == 0 {
		return nil, changes, nil
	}
	since, pushes, err := p.headSince(ctx, pr)
	if err != nil {
		return nil, nil, err
	}
	votedAt, err := p.voteDates(ctx, pr.PullRequestID)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range voters {
		a := promotion.Approval{User: r.UniqueName}
		at, dated := votedAt[r.ID]
		switch {
		case r.ID == pr.CreatedBy.ID:
			a.Reason = promotion.ReasonAuthor
		case dated && at.Before(since), !dated && pushes > 1:
			a.Reason = promotion.ReasonStale
		}
		a.Counted = a.Reason == ""
		approvals = append(approvals, a)
	}
	slices.SortFunc(approvals, func(a, b promotion.Approval) int { return strings.Compare(a.User, b.User) })
	return approvals, changes, nil
}

// headSince returns when the current head was pushed (the first of the
// latest run of iterations with that source commit) and how many
// iterations the PR has.
func (p *Provider) headSince(ctx context.Context, pr pullRequest) (time.Time, int, error) {
	var its []iteration
	for skip := 0; ; skip += pageTop {
		q := url.Values{"$top": {strconv.Itoa(pageTop)}, "$skip": {strconv.Itoa(skip)}}
		var l list[iteration]
		if err := p.do(ctx, "GET", p.url(fmt.Sprintf("/pullRequests/%d/iterations", pr.PullRequestID), q), nil, &l, "listing the pushes of pull request #%d", pr.PullRequestID); err != nil {
			return time.Time{}, 0, err
		}
		its = append(its, l.Value...)
		if len(l.Value) < pageTop {
			break
		}
	}
	slices.SortFunc(its, func(a, b iteration) int { return a.ID - b.ID })
	head := ""
	if pr.LastMergeSourceCommit != nil {
		head = pr.LastMergeSourceCommit.CommitID
	}
	var since time.Time
	for i := len(its) - 1; i >= 0 && its[i].SourceRefCommit.CommitID == head; i-- {
		since = its[i].CreatedDate
	}
	return since, len(its), nil
}

// voteDates returns when each identity last voted.
func (p *Provider) voteDates(ctx context.Context, number int) (map[string]time.Time, error) {
	var l list[thread]
	if err := p.do(ctx, "GET", p.url(fmt.Sprintf("/pullRequests/%d/threads", number), nil), nil, &l, "listing the threads of pull request #%d", number); err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, t := range l.Value {
		if t.prop("CodeReviewThreadType") != "VoteUpdate" {
			continue
		}
		voter, ok := t.Identities[t.prop("CodeReviewVotedByIdentity")]
		if !ok && len(t.Comments) > 0 {
			voter = t.Comments[0].Author
		}
		if voter.ID != "" && t.PublishedDate.After(out[voter.ID]) {
			out[voter.ID] = t.PublishedDate
		}
	}
	return out, nil
}
