package azuredevops

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
)

// status is a pull request status posted by CI
// (https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-statuses/list?view=azure-devops-rest-7.1).
type status struct {
	ID      int    `json:"id"`
	State   string `json:"state"` // succeeded, failed, error, pending, notApplicable, notSet
	Context struct {
		Name  string `json:"name"`
		Genre string `json:"genre"`
	} `json:"context"`
}

// checks sums up the latest status of each context.
func (p *Provider) checks(ctx context.Context, number int) (promotion.Checks, error) {
	var l list[status]
	if err := p.do(ctx, "GET", p.url(fmt.Sprintf("/pullRequests/%d/statuses", number), nil), nil, &l, "listing the statuses of pull request #%d", number); err != nil {
		return "", err
	}
	latest := map[string]status{}
	for _, s := range l.Value {
		key := s.Context.Genre + "/" + s.Context.Name
		if old, ok := latest[key]; !ok || s.ID > old.ID {
			latest[key] = s
		}
	}
	var states []string
	for _, s := range latest {
		if s.State != "notApplicable" && s.State != "notSet" {
			states = append(states, s.State)
		}
	}
	switch {
	case len(states) == 0:
		return promotion.ChecksUnknown, nil
	case slices.Contains(states, "failed") || slices.Contains(states, "error"):
		return promotion.ChecksFailed, nil
	case slices.Contains(states, "pending"):
		return promotion.ChecksPending, nil
	}
	return promotion.ChecksPassed, nil
}

// evaluation is a branch policy's verdict on the pull request
// (https://learn.microsoft.com/rest/api/azure/devops/policy/evaluations/list?view=azure-devops-rest-7.1).
type evaluation struct {
	Status        string `json:"status"` // queued, running, approved, rejected, notApplicable, broken
	Configuration struct {
		IsEnabled  bool `json:"isEnabled"`
		IsBlocking bool `json:"isBlocking"`
		Type       struct {
			DisplayName string `json:"displayName"`
		} `json:"type"`
	} `json:"configuration"`
}

// blockingPolicies names the enabled, blocking policies that do not
// approve the PR yet, with their status.
func (p *Provider) blockingPolicies(ctx context.Context, pr pullRequest) ([]string, error) {
	q := url.Values{
		"artifactId":  {fmt.Sprintf("vstfs:///CodeReview/CodeReviewId/%s/%d", pr.Repository.Project.ID, pr.PullRequestID)},
		"api-version": {apiVersion + "-preview.1"},
	}
	var l list[evaluation]
	u := p.org + "/" + url.PathEscape(p.project) + "/_apis/policy/evaluations?" + q.Encode()
	if err := p.do(ctx, "GET", u, nil, &l, "reading the policy evaluations of pull request #%d", pr.PullRequestID); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range l.Value {
		c := e.Configuration
		if c.IsEnabled && c.IsBlocking && e.Status != "approved" && e.Status != "notApplicable" {
			out = append(out, fmt.Sprintf("%q is %s", c.Type.DisplayName, e.Status))
		}
	}
	slices.Sort(out)
	return out, nil
}

// mergeability is Azure DevOps' verdict: the merge preview's status
// (conflicts) and the blocking branch policies, plus the votes that wait
// for the author or reject.
func mergeability(pr pullRequest, out promotion.PR, blocking []string) (bool, string) {
	switch {
	case pr.IsDraft:
		return false, "the pull request is a draft"
	case pr.MergeStatus == "conflicts":
		return false, "Azure DevOps reports merge conflicts"
	case pr.MergeStatus == "queued":
		return false, "Azure DevOps is still checking whether the pull request can merge"
	case pr.MergeStatus == "failure" || pr.MergeStatus == "rejectedByPolicy":
		return false, "Azure DevOps could not merge the source: " + pr.MergeStatus
	case len(out.ChangesRequested) > 0:
		return false, "waiting for the author or rejected by " + strings.Join(out.ChangesRequested, ", ")
	case len(blocking) > 0:
		return false, "blocking policy " + strings.Join(blocking, ", ")
	}
	return true, ""
}
