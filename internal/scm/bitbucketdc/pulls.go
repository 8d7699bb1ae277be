package bitbucketdc

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// pullRequest is the part of Bitbucket Data Center's pull request Ferry
// reads (https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-pull-requests/#api-api-latest-projects-projectkey-repos-repositoryslug-pull-requests-pullrequestid-get).
type pullRequest struct {
	ID           int           `json:"id"`
	Version      int           `json:"version"`
	Title        string        `json:"title"`
	Description  string        `json:"description"`
	State        string        `json:"state"` // OPEN, DECLINED, MERGED
	UpdatedDate  int64         `json:"updatedDate"`
	FromRef      ref           `json:"fromRef"`
	ToRef        ref           `json:"toRef"`
	Author       participant   `json:"author"`
	Reviewers    []participant `json:"reviewers"`
	Participants []participant `json:"participants"`
	Properties   struct {
		MergeCommit *struct {
			ID string `json:"id"`
		} `json:"mergeCommit"`
	} `json:"properties"`
	Links struct {
		Self []struct {
			Href string `json:"href"`
		} `json:"self"`
	} `json:"links"`
}

type ref struct {
	ID           string `json:"id"` // refs/heads/main
	DisplayID    string `json:"displayId"`
	LatestCommit string `json:"latestCommit"`
	Repository   struct {
		Slug    string `json:"slug"`
		Project struct {
			Key string `json:"key"`
		} `json:"project"`
	} `json:"repository"`
}

type participant struct {
	User struct {
		Name string `json:"name"`
		Slug string `json:"slug"`
	} `json:"user"`
	Role               string `json:"role"` // AUTHOR, REVIEWER, PARTICIPANT
	Approved           bool   `json:"approved"`
	Status             string `json:"status"` // APPROVED, NEEDS_WORK, UNAPPROVED
	LastReviewedCommit string `json:"lastReviewedCommit"`
}

// page is Bitbucket Data Center's paged list.
type page[T any] struct {
	Values        []T  `json:"values"`
	IsLastPage    bool `json:"isLastPage"`
	NextPageStart int  `json:"nextPageStart"`
}

// pageLimit is Bitbucket Data Center's default maximum page size.
const pageLimit = 100

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
			"title": spec.Title, "description": spec.Body,
			"fromRef": p.refTo(spec.Head), "toRef": p.refTo(spec.Base),
		}
		if err := p.do(ctx, "POST", p.api+"/pull-requests", body, &pr, "opening a pull request from %s into %s", spec.Head, spec.Base); err != nil {
			return promotion.PR{}, err
		}
		return toPR(pr), nil
	}
	if existing.Title == spec.Title && existing.Description == spec.Body && existing.ToRef.ID == "refs/heads/"+spec.Base {
		return toPR(*existing), nil
	}
	// version makes the update fail (409) rather than overwrite an edit
	// made since the list was read. The reviewers are sent back as they
	// are: the update replaces the list, and a reviewer left out would
	// lose their approval.
	reviewers := []map[string]any{}
	for _, r := range existing.Reviewers {
		reviewers = append(reviewers, map[string]any{"user": map[string]string{"name": r.User.Name}})
	}
	body := map[string]any{"version": existing.Version, "title": spec.Title, "description": spec.Body, "toRef": p.refTo(spec.Base), "reviewers": reviewers}
	if err := p.do(ctx, "PUT", fmt.Sprintf("%s/pull-requests/%d", p.api, existing.ID), body, &pr, "updating pull request #%d", existing.ID); err != nil {
		return promotion.PR{}, err
	}
	return toPR(pr), nil
}

func (p *Provider) refTo(branch string) map[string]any {
	return map[string]any{
		"id":         "refs/heads/" + branch,
		"repository": map[string]any{"slug": p.slug, "project": map[string]string{"key": p.project}},
	}
}

// openFor returns the open PR from branch of this repository, or nil.
func (p *Provider) openFor(ctx context.Context, branch string) (*pullRequest, error) {
	q := url.Values{"state": {"OPEN"}, "direction": {"OUTGOING"}, "at": {"refs/heads/" + branch}, "limit": {strconv.Itoa(pageLimit)}}
	start := 0
	for {
		q.Set("start", strconv.Itoa(start))
		var pg page[pullRequest]
		if err := p.do(ctx, "GET", p.api+"/pull-requests?"+q.Encode(), nil, &pg, "listing open pull requests from %s", branch); err != nil {
			return nil, err
		}
		for i, pr := range pg.Values {
			same := pr.FromRef.Repository.Slug == "" || pr.FromRef.Repository.Slug == pr.ToRef.Repository.Slug &&
				pr.FromRef.Repository.Project.Key == pr.ToRef.Repository.Project.Key
			if pr.FromRef.ID == "refs/heads/"+branch && same {
				return &pg.Values[i], nil
			}
		}
		if pg.IsLastPage || pg.NextPageStart <= start {
			return nil, nil
		}
		start = pg.NextPageStart
	}
}

// Get returns the PR with its approvals, build statuses and the host's
// merge checks.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	out, _, err := p.get(ctx, number)
	return out, err
}

func (p *Provider) get(ctx context.Context, number int) (promotion.PR, pullRequest, error) {
	var pr pullRequest
	if err := p.do(ctx, "GET", fmt.Sprintf("%s/pull-requests/%d", p.api, number), nil, &pr, "getting pull request #%d", number); err != nil {
		return promotion.PR{}, pr, err
	}
	out := toPR(pr)
	out.Approvals, out.ChangesRequested = reviews(pr)
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	var err error
	if out.Checks, err = p.checks(ctx, out.HeadSHA); err != nil {
		return promotion.PR{}, pr, err
	}
	if out.State == promotion.PROpen {
		if out.Mergeable, out.NotMergeable, err = p.mergeability(ctx, number); err != nil {
			return promotion.PR{}, pr, err
		}
	} else {
		out.NotMergeable = "the pull request is " + string(out.State)
	}
	return out, pr, nil
}

// Merge merges the PR as the repository's merge strategy says, if its head
// is still sha. The merge names the version read with the head, so
// Bitbucket refuses it (409) when the PR changed in between.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	_, pr, err := p.get(ctx, number)
	if err != nil {
		return promotion.PR{}, err
	}
	if pr.FromRef.LatestCommit != sha {
		return promotion.PR{}, derrors.New(derrors.Conflict, "head_moved", "pull request #%d's head is no longer %s", number, sha)
	}
	q := url.Values{"version": {strconv.Itoa(pr.Version)}}
	err = p.do(ctx, "POST", fmt.Sprintf("%s/pull-requests/%d/merge?%s", p.api, number, q.Encode()), map[string]any{}, nil, "merging pull request #%d at %s", number, sha)
	if err != nil {
		return promotion.PR{}, err
	}
	out, _, err := p.get(ctx, number)
	return out, err
}

// Close comments on the PR, then declines it.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	var pr pullRequest
	if err := p.do(ctx, "GET", fmt.Sprintf("%s/pull-requests/%d", p.api, number), nil, &pr, "getting pull request #%d", number); err != nil {
		return err
	}
	if comment != "" {
		if err := p.do(ctx, "POST", fmt.Sprintf("%s/pull-requests/%d/comments", p.api, number), map[string]string{"text": comment}, nil, "commenting on pull request #%d", number); err != nil {
			return err
		}
	}
	q := url.Values{"version": {strconv.Itoa(pr.Version)}}
	return p.do(ctx, "POST", fmt.Sprintf("%s/pull-requests/%d/decline?%s", p.api, number, q.Encode()), map[string]any{}, nil, "declining pull request #%d", number)
}

func toPR(pr pullRequest) promotion.PR {
	out := promotion.PR{
		Number: pr.ID, State: promotion.PROpen,
		Head: pr.FromRef.DisplayID, HeadSHA: pr.FromRef.LatestCommit, Base: pr.ToRef.DisplayID,
		Author: pr.Author.User.Name,
	}
	if len(pr.Links.Self) > 0 {
		out.URL = pr.Links.Self[0].Href
	}
	if pr.UpdatedDate > 0 {
		out.UpdatedAt = time.UnixMilli(pr.UpdatedDate).UTC()
	}
	switch pr.State {
	case "MERGED":
		out.State = promotion.PRMerged
		if pr.Properties.MergeCommit != nil {
			out.MergeSHA = pr.Properties.MergeCommit.ID
		}
	case "DECLINED":
		out.State = promotion.PRClosed
	}
	return out
}

var _ promotion.PullRequests = (*Provider)(nil)
