package azuredevops

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// pullRequest is the part of Azure DevOps' GitPullRequest Ferry reads
// (https://learn.microsoft.com/rest/api/azure/devops/git/pull-requests/get-pull-request?view=azure-devops-rest-7.1).
type pullRequest struct {
	PullRequestID         int        `json:"pullRequestId"`
	Status                string     `json:"status"` // active, abandoned, completed
	Title                 string     `json:"title"`
	Description           string     `json:"description"`
	SourceRefName         string     `json:"sourceRefName"`
	TargetRefName         string     `json:"targetRefName"`
	MergeStatus           string     `json:"mergeStatus"` // succeeded, conflicts, rejectedByPolicy, failure, queued, notSet
	CreatedBy             identity   `json:"createdBy"`
	ClosedBy              *identity  `json:"closedBy"`
	CreationDate          time.Time  `json:"creationDate"`
	ClosedDate            time.Time  `json:"closedDate"`
	LastMergeSourceCommit *commitRef `json:"lastMergeSourceCommit"`
	LastMergeCommit       *commitRef `json:"lastMergeCommit"`
	Reviewers             []reviewer `json:"reviewers"`
	IsDraft               bool       `json:"isDraft"`
	ForkSource            *struct{}  `json:"forkSource"`
	Repository            struct {
		WebURL  string `json:"webUrl"`
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	} `json:"repository"`
}

type identity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	UniqueName  string `json:"uniqueName"`
}

type commitRef struct {
	CommitID string `json:"commitId"`
}

type reviewer struct {
	identity
	Vote        int  `json:"vote"` // 10, 5, 0, -5, -10
	IsContainer bool `json:"isContainer"`
}

// list is Azure DevOps' collection wrapper.
type list[T any] struct {
	Value []T `json:"value"`
	Count int `json:"count"`
}

// pageTop is how many pull requests one list request asks for.
const pageTop = 100

// Ensure opens a PR from spec.Head into spec.Base, or updates the open one
// for spec.Head when its title, body or target differ.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	existing, err := p.openFor(ctx, spec.Head)
	if err != nil {
		return promotion.PR{}, err
	}
	var pr pullRequest
	if existing == nil {
		body := map[string]any{
			"sourceRefName": "refs/heads/" + spec.Head, "targetRefName": "refs/heads/" + spec.Base,
			"title": spec.Title, "description": spec.Body,
		}
		if err := p.do(ctx, "POST", p.url("/pullrequests", nil), body, &pr, "opening a pull request from %s into %s", spec.Head, spec.Base); err != nil {
			return promotion.PR{}, err
		}
		return p.toPR(pr), nil
	}
	if existing.Title == spec.Title && existing.Description == spec.Body && existing.TargetRefName == "refs/heads/"+spec.Base {
		return p.toPR(*existing), nil
	}
	body := map[string]any{"title": spec.Title, "description": spec.Body}
	if existing.TargetRefName != "refs/heads/"+spec.Base {
		body["targetRefName"] = "refs/heads/" + spec.Base
	}
	if err := p.do(ctx, "PATCH", p.url(fmt.Sprintf("/pullrequests/%d", existing.PullRequestID), nil), body, &pr, "updating pull request #%d", existing.PullRequestID); err != nil {
		return promotion.PR{}, err
	}
	return p.toPR(pr), nil
}

// openFor returns the active PR from branch of this repository, or nil.
func (p *Provider) openFor(ctx context.Context, branch string) (*pullRequest, error) {
	for skip := 0; ; skip += pageTop {
		q := url.Values{
			"searchCriteria.sourceRefName": {"refs/heads/" + branch},
			"searchCriteria.status":        {"active"},
			"$top":                         {strconv.Itoa(pageTop)},
			"$skip":                        {strconv.Itoa(skip)},
		}
		var l list[pullRequest]
		if err := p.do(ctx, "GET", p.url("/pullrequests", q), nil, &l, "listing active pull requests from %s", branch); err != nil {
			return nil, err
		}
		for i, pr := range l.Value {
			if pr.SourceRefName == "refs/heads/"+branch && pr.ForkSource == nil {
				return &l.Value[i], nil
			}
		}
		if len(l.Value) < pageTop {
			return nil, nil
		}
	}
}

// Get returns the PR with its votes, statuses and policy evaluations.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	out, _, err := p.get(ctx, number)
	return out, err
}

func (p *Provider) get(ctx context.Context, number int) (promotion.PR, pullRequest, error) {
	var pr pullRequest
	if err := p.do(ctx, "GET", p.url(fmt.Sprintf("/pullrequests/%d", number), nil), nil, &pr, "getting pull request #%d", number); err != nil {
		return promotion.PR{}, pr, err
	}
	out := p.toPR(pr)
	var err error
	if out.Approvals, out.ChangesRequested, err = p.votes(ctx, pr); err != nil {
		return promotion.PR{}, pr, err
	}
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	if out.Checks, err = p.checks(ctx, number); err != nil {
		return promotion.PR{}, pr, err
	}
	if out.State != promotion.PROpen {
		out.NotMergeable = "the pull request is " + string(out.State)
		return out, pr, nil
	}
	blocking, err := p.blockingPolicies(ctx, pr)
	if err != nil {
		return promotion.PR{}, pr, err
	}
	out.Mergeable, out.NotMergeable = mergeability(pr, out, blocking)
	return out, pr, nil
}

// mergeStrategy is how Ferry completes pull requests: a merge commit, as
// on every other host, so the promotion's commit and its trailers stay
// as written.
const mergeStrategy = "noFastForward"

// Merge completes the PR if its head is still sha: Azure DevOps refuses a
// completion whose lastMergeSourceCommit is not the source's head (409).
// Completion is asynchronous; the PR returned may still be active with
// its merge queued, and the service hook reports the outcome.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	_, pr, err := p.get(ctx, number)
	if err != nil {
		return promotion.PR{}, err
	}
	if pr.LastMergeSourceCommit == nil || pr.LastMergeSourceCommit.CommitID != sha {
		return promotion.PR{}, derrors.New(derrors.Conflict, "head_moved", "pull request #%d's head is no longer %s", number, sha)
	}
	if pr.MergeStatus == "conflicts" {
		return promotion.PR{}, derrors.New(derrors.Conflict, "pr_not_mergeable", "pull request #%d has merge conflicts", number)
	}
	body := map[string]any{
		"status":                "completed",
		"lastMergeSourceCommit": map[string]string{"commitId": sha},
		"completionOptions": map[string]any{
			"mergeStrategy": mergeStrategy, "deleteSourceBranch": false, "transitionWorkItems": false,
		},
	}
	err = p.do(ctx, "PATCH", p.url(fmt.Sprintf("/pullrequests/%d", number), nil), body, nil, "completing pull request #%d at %s", number, sha)
	if d, ok := derrors.As(err); ok && d.Code == "scm_conflict" {
		return promotion.PR{}, derrors.Wrap(err, derrors.Conflict, "head_moved", "pull request #%d's head is no longer %s: %s", number, sha, d.Detail)
	}
	if err != nil {
		return promotion.PR{}, err
	}
	out, _, err := p.get(ctx, number)
	return out, err
}

// Close comments on the PR in a closed thread, then abandons it.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	if comment != "" {
		body := map[string]any{
			"comments": []map[string]any{{"parentCommentId": 0, "content": comment, "commentType": "text"}},
			"status":   "closed",
		}
		if err := p.do(ctx, "POST", p.url(fmt.Sprintf("/pullRequests/%d/threads", number), nil), body, nil, "commenting on pull request #%d", number); err != nil {
			return err
		}
	}
	return p.do(ctx, "PATCH", p.url(fmt.Sprintf("/pullrequests/%d", number), nil), map[string]string{"status": "abandoned"}, nil, "abandoning pull request #%d", number)
}

func (p *Provider) toPR(pr pullRequest) promotion.PR {
	out := promotion.PR{
		Number: pr.PullRequestID, State: promotion.PROpen,
		Head: strings.TrimPrefix(pr.SourceRefName, "refs/heads/"), Base: strings.TrimPrefix(pr.TargetRefName, "refs/heads/"),
		Author: pr.CreatedBy.UniqueName, UpdatedAt: pr.CreationDate,
	}
	if pr.Repository.WebURL != "" {
		out.URL = fmt.Sprintf("%s/pullrequest/%d", pr.Repository.WebURL, pr.PullRequestID)
	}
	if pr.LastMergeSourceCommit != nil {
		out.HeadSHA = pr.LastMergeSourceCommit.CommitID
	}
	if !pr.ClosedDate.IsZero() {
		out.UpdatedAt = pr.ClosedDate
	}
	switch pr.Status {
	case "completed":
		out.State = promotion.PRMerged
		if pr.LastMergeCommit != nil {
			out.MergeSHA = pr.LastMergeCommit.CommitID
		}
		if pr.ClosedBy != nil {
			out.MergedBy = pr.ClosedBy.UniqueName
		}
	case "abandoned":
		out.State = promotion.PRClosed
		if pr.ClosedBy != nil {
			out.ClosedBy = pr.ClosedBy.UniqueName
		}
	}
	return out
}

var _ promotion.PullRequests = (*Provider)(nil)
