package store

import (
	"context"
	"time"
)

// PullRequest is a built-in pull request (internal/scm/builtin): Ferry's own
// record of a ferry/<app>/<env> branch waiting to merge into its base, for
// Git servers without a pull-request API.
type PullRequest struct {
	Repository string
	// Number is the pull request's number in its repository, from 1, set by
	// CreatePullRequest and never reused.
	Number  int
	Head    string
	Base    string
	HeadSHA string
	State   string // "open", "merged" or "closed"
	// MergeSHA and MergedBy say how it merged; ClosedBy who closed it.
	MergeSHA  string
	MergedBy  string
	ClosedBy  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PullRequestStore keeps built-in pull requests and their approvals.
type PullRequestStore interface {
	// CreatePullRequest stores pr as its repository's next number and
	// returns it with Number set. It is derrors.ErrConflict (wrapped) when
	// a concurrent create took that number; the caller tries again.
	CreatePullRequest(ctx context.Context, pr PullRequest) (PullRequest, error)
	// GetPullRequest returns a pull request by repository and number, or
	// derrors.ErrNotFound (wrapped).
	GetPullRequest(ctx context.Context, repo string, number int) (PullRequest, error)
	// OpenPullRequest returns the open pull request of head, or
	// derrors.ErrNotFound (wrapped).
	OpenPullRequest(ctx context.Context, repo, head string) (PullRequest, error)
	// UpdatePullRequest writes pr's HeadSHA, State, MergeSHA, MergedBy,
	// ClosedBy and UpdatedAt; an unknown pull request is derrors.ErrNotFound.
	UpdatePullRequest(ctx context.Context, pr PullRequest) error
	// AddApproval records actor's approval of the pull request's head
	// headSHA and reports whether it is new; approving twice changes nothing.
	AddApproval(ctx context.Context, repo string, number int, headSHA, actor string, at time.Time) (added bool, err error)
	// Approvals returns who approved the pull request's head headSHA, and
	// when, in the order they approved.
	Approvals(ctx context.Context, repo string, number int, headSHA string) ([]Approval, error)
}

// Approval is one approval of a built-in pull request's head: who gave it,
// and when.
type Approval struct {
	Actor string
	At    time.Time
}
