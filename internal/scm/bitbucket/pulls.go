package bitbucket

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

// pullRequest is the part of Bitbucket Cloud's pullrequest object Ferry
// reads (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-get).
type pullRequest struct {
	ID          int    `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	State       string `json:"state"` // OPEN, MERGED, DECLINED, SUPERSEDED
	Author      user   `json:"author"`
	Source      ref    `json:"source"`
	Destination ref    `json:"destination"`
	MergeCommit *struct {
		Hash string `json:"hash"`
	} `json:"merge_commit"`
	ClosedBy     *user         `json:"closed_by"`
	Participants []participant `json:"participants"`
	UpdatedOn    time.Time     `json:"updated_on"`
	Links        struct {
		HTML struct {
			Href string `json:"href"`
		} `json:"html"`
	} `json:"links"`
}

type ref struct {
	Branch struct {
		Name string `json:"name"`
	} `json:"branch"`
	Commit struct {
		Hash string `json:"hash"`
	} `json:"commit"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

type user struct {
	UUID        string `json:"uuid"`
	AccountID   string `json:"account_id"`
	Nickname    string `json:"nickname"`
	DisplayName string `json:"display_name"`
}

// name is how Ferry shows a Bitbucket account: its nickname, which
// Bitbucket keeps unique in place of the retired usernames.
func (u user) name() string {
	if u.Nickname != "" {
		return u.Nickname
	}
	return u.DisplayName
}

type participant struct {
	User           user      `json:"user"`
	Role           string    `json:"role"` // PARTICIPANT, REVIEWER
	Approved       bool      `json:"approved"`
	State          *string   `json:"state"` // approved, changes_requested, null
	ParticipatedOn time.Time `json:"participated_on"`
}

// page is Bitbucket Cloud's paginated list: next is the full URL of the
// next page, absent on the last.
type page[T any] struct {
	Values []T    `json:"values"`
	Next   string `json:"next"`
}

// pageLen is the largest page Bitbucket Cloud serves for pull requests.
const pageLen = 50

// Ensure opens a PR from spec.Head into spec.Base, or updates the open one
// for spec.Head when its title, body or destination differ.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	existing, err := p.openFor(ctx, spec.Head)
	if err != nil {
		return promotion.PR{}, err
	}
	body := map[string]any{
		"title":       spec.Title,
		"description": spec.Body,
		"destination": map[string]any{"branch": map[string]string{"name": spec.Base}},
	}
	var pr pullRequest
	if existing == nil {
		body["source"] = map[string]any{"branch": map[string]string{"name": spec.Head}}
		body["close_source_branch"] = false
		if err := p.do(ctx, "POST", p.api+"/pullrequests", body, &pr, "opening a pull request from %s into %s", spec.Head, spec.Base); err != nil {
			return promotion.PR{}, err
		}
		return toPR(pr), nil
	}
	if existing.Title == spec.Title && existing.Description == spec.Body && existing.Destination.Branch.Name == spec.Base {
		return toPR(*existing), nil
	}
	if err := p.do(ctx, "PUT", fmt.Sprintf("%s/pullrequests/%d", p.api, existing.ID), body, &pr, "updating pull request #%d", existing.ID); err != nil {
		return promotion.PR{}, err
	}
	return toPR(pr), nil
}

// openFor returns the open PR whose source is branch of this repository,
// or nil, following every page the filtered list has.
func (p *Provider) openFor(ctx context.Context, branch string) (*pullRequest, error) {
	q := url.Values{
		"state":   {"OPEN"},
		"q":       {fmt.Sprintf("source.branch.name = %s", strconv.Quote(branch))},
		"pagelen": {strconv.Itoa(pageLen)},
	}
	next := p.api + "/pullrequests?" + q.Encode()
	for next != "" {
		var pg page[pullRequest]
		if err := p.do(ctx, "GET", next, nil, &pg, "listing open pull requests from %s", branch); err != nil {
			return nil, err
		}
		for i, pr := range pg.Values {
			fork := pr.Source.Repository.FullName != "" && pr.Source.Repository.FullName != pr.Destination.Repository.FullName
			if pr.Source.Branch.Name == branch && !fork {
				return &pg.Values[i], nil
			}
		}
		next = pg.Next
	}
	return nil, nil
}

// Get returns the PR with its approvals, commit statuses and mergeability.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	return p.get(ctx, number)
}

func (p *Provider) get(ctx context.Context, number int) (promotion.PR, error) {
	var pr pullRequest
	if err := p.do(ctx, "GET", fmt.Sprintf("%s/pullrequests/%d", p.api, number), nil, &pr, "getting pull request #%d", number); err != nil {
		return promotion.PR{}, err
	}
	out := toPR(pr)
	var err error
	if out.HeadSHA, err = p.fullHash(ctx, out.HeadSHA); err != nil {
		return promotion.PR{}, err
	}
	if out.MergeSHA, err = p.fullHash(ctx, out.MergeSHA); err != nil {
		return promotion.PR{}, err
	}
	onHead, err := p.onHead(ctx, number, out.HeadSHA)
	if err != nil {
		return promotion.PR{}, err
	}
	out.Approvals, out.ChangesRequested = reviews(pr, onHead)
	out.Approvers = promotion.CountedApprovers(out.Approvals)
	if out.Checks, err = p.checks(ctx, out.HeadSHA); err != nil {
		return promotion.PR{}, err
	}
	out.Mergeable, out.NotMergeable = mergeability(out)
	return out, nil
}

// Merge merges the PR with the repository's default merge strategy if its
// head is still sha. Bitbucket Cloud's merge takes no expected head, so
// the head is read first; a push between the read and the merge is what
// Bitbucket's 409 ("one of the refs involved changed") reports.
func (p *Provider) Merge(ctx context.Context, number int, sha string) (promotion.PR, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	var pr pullRequest
	if err := p.do(ctx, "GET", fmt.Sprintf("%s/pullrequests/%d", p.api, number), nil, &pr, "getting pull request #%d", number); err != nil {
		return promotion.PR{}, err
	}
	if !sameCommit(pr.Source.Commit.Hash, sha) {
		return promotion.PR{}, derrors.New(derrors.Conflict, "head_moved", "pull request #%d's head is no longer %s", number, sha)
	}
	// An empty body keeps the repository's default merge strategy.
	err := p.do(ctx, "POST", fmt.Sprintf("%s/pullrequests/%d/merge", p.api, number), map[string]any{}, &pr, "merging pull request #%d at %s", number, sha)
	if d, ok := derrors.As(err); ok && d.Code == "scm_conflict" {
		return promotion.PR{}, derrors.Wrap(err, derrors.Conflict, "head_moved", "pull request #%d changed while Bitbucket merged it: %s", number, d.Detail)
	}
	if err != nil {
		return promotion.PR{}, err
	}
	return p.get(ctx, number)
}

// Close comments on the PR, then declines it.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	if comment != "" {
		body := map[string]any{"content": map[string]string{"raw": comment}}
		if err := p.do(ctx, "POST", fmt.Sprintf("%s/pullrequests/%d/comments", p.api, number), body, nil, "commenting on pull request #%d", number); err != nil {
			return err
		}
	}
	return p.do(ctx, "POST", fmt.Sprintf("%s/pullrequests/%d/decline", p.api, number), nil, nil, "declining pull request #%d", number)
}

// fullHash expands the 12-character hash Bitbucket Cloud shows in pull
// requests into the commit's full hash, which the engine compares with
// the commit it pushed. The commit does not change, so the answer is
// served from the conditional-GET cache after the first time.
func (p *Provider) fullHash(ctx context.Context, short string) (string, error) {
	if short == "" || len(short) == 40 {
		return short, nil
	}
	var c struct {
		Hash string `json:"hash"`
	}
	if err := p.do(ctx, "GET", p.api+"/commit/"+url.PathEscape(short), nil, &c, "reading commit %s", short); err != nil {
		return "", err
	}
	return c.Hash, nil
}

// sameCommit compares a full hash with Bitbucket's: pull requests carry
// the 12-character short hash.
func sameCommit(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	n := min(len(a), len(b))
	return strings.EqualFold(a[:n], b[:n])
}

func toPR(pr pullRequest) promotion.PR {
	out := promotion.PR{
		Number: pr.ID, URL: pr.Links.HTML.Href, State: promotion.PROpen,
		Head: pr.Source.Branch.Name, HeadSHA: pr.Source.Commit.Hash, Base: pr.Destination.Branch.Name,
		Author: pr.Author.name(), UpdatedAt: pr.UpdatedOn,
	}
	switch pr.State {
	case "MERGED":
		out.State = promotion.PRMerged
		if pr.MergeCommit != nil {
			out.MergeSHA = pr.MergeCommit.Hash
		}
		if pr.ClosedBy != nil {
			out.MergedBy = pr.ClosedBy.name()
		}
	case "DECLINED", "SUPERSEDED":
		out.State = promotion.PRClosed
		if pr.ClosedBy != nil {
			out.ClosedBy = pr.ClosedBy.name()
		}
	}
	return out
}

var _ promotion.PullRequests = (*Provider)(nil)
