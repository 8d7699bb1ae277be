package promotion

import (
	"context"
	"time"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// PullRequests is what the engine needs of a Git host's pull (merge)
// requests. Providers live in internal/scm/<host>; internal/scm/builtin is
// the one for Git servers without a PR API. The engine has one code path for
// all of them; what only some can do is an optional extra interface
// (Reviews, EditMerger), found by type assertion.
//
// Errors: a host that is down or times out is a derrors.Unavailable; a rate
// limit is a derrors.RateLimited with RetryAfter set; bad credentials are a
// derrors.Unavailable with code "scm_auth_failed"; a PR that does not exist
// is derrors.ErrNotFound (wrapped).
type PullRequests interface {
	// Ensure opens a PR from spec.Head into spec.Base, or, if one is open
	// for spec.Head already, updates its title and body. It returns the PR.
	Ensure(ctx context.Context, spec PRSpec) (PR, error)
	// Get returns the PR's current state, approvals and checks.
	Get(ctx context.Context, number int) (PR, error)
	// Merge merges the PR if its head is still sha (never a force push).
	Merge(ctx context.Context, number int, sha string) (PR, error)
	// Close closes the PR unmerged, with a comment saying why.
	Close(ctx context.Context, number int, comment string) error
}

// Describer is the optional extra of a provider that can rewrite an open
// pull request's title and description without touching anything else
// (Ensure would open a new pull request if the one looked at had ended
// meanwhile). The engine uses it to list the approvals in the description
// when the counted ones change.
type Describer interface {
	// Describe sets pull request number's title and description.
	Describe(ctx context.Context, number int, title, body string) error
}

// Reviews is the optional extra of a provider whose pull requests are
// reviewed through Ferry's API instead of on a Git host (the built-in
// one): Engine.Approve and Engine.Cancel act only on its pull requests, and
// Ferry merges them itself once approved (at least one approval), whatever
// the environment's autoMerge says.
type Reviews interface {
	// Approve records actor's approval of the pull request's current head
	// and returns the pull request; approving twice changes nothing.
	Approve(ctx context.Context, number int, actor string) (PR, error)
}

// EditMerger is the optional extra of a provider that merges by re-applying
// Ferry's edit on the base branch with a merge commit (the built-in one),
// instead of asking a host to merge. The engine calls MergeEdit in place of
// Merge for it.
type EditMerger interface {
	// MergeEdit merges the pull request if its head is still sha: a commit on
	// the base branch with edit's files whose second parent is the head.
	// An error from edit.Apply is returned wrapped and nothing is written.
	MergeEdit(ctx context.Context, number int, sha string, edit Edit) (PR, error)
}

// Edit is Ferry's change of a pull request, to be made again on the base
// branch as it is when the pull request merges.
type Edit struct {
	// Message is the merge commit's message, written by Ferry's one owner
	// of the commit format (commitmsg.FormatMerge).
	Message string
	// Apply returns the files to write on top of base, none when base has
	// the change already, or an error when it cannot be made there.
	Apply func(base gitrepo.Snapshot) (map[string][]byte, error)
}

// PRSpec is the pull request Ferry wants open.
type PRSpec struct {
	Head  string // branch with Ferry's change, e.g. "ferry/payments/prod"
	Base  string // branch it merges into
	Title string
	Body  string // Markdown
}

// PRState is the state of a pull request on its host.
type PRState string

// Pull request states.
const (
	PROpen   PRState = "open"
	PRMerged PRState = "merged"
	PRClosed PRState = "closed" // closed without merging
)

// Checks summarises a PR's CI checks as the host reports them.
type Checks string

// Check summaries.
const (
	ChecksUnknown Checks = ""        // the host reports none
	ChecksPending Checks = "pending" // some still running
	ChecksPassed  Checks = "passed"
	ChecksFailed  Checks = "failed"
)

// PR is a pull request as its host reports it.
type PR struct {
	Number   int
	URL      string // web URL for people
	State    PRState
	Head     string // head branch
	HeadSHA  string
	Base     string
	MergeSHA string // the merge commit (or the squashed/fast-forwarded head) when merged
	MergedBy string
	ClosedBy string
	// Author is who opened the PR on the host (Ferry's own account, when
	// Ferry opened it): hosts do not let an author approve their own PR.
	Author string
	// Approvals are every approval given on the PR, one per person (their
	// latest decision), each saying whether the host counts it and, when
	// not, why, so that a release manager sees "alice (counted), mallory
	// (no write access)" rather than a bare number.
	Approvals []Approval
	// Approvers are the distinct people whose approval counts on the
	// current head: the Counted entries of Approvals.
	Approvers []string
	// ChangesRequested are the people whose latest review requests
	// changes; on every host such a review blocks a merge until it is
	// dismissed or replaced by an approval.
	ChangesRequested []string
	// Mergeable is the host's own verdict that the PR can merge now
	// (branch protection, required reviews and checks, conflicts);
	// NotMergeable says why not when it is false.
	Mergeable    bool
	NotMergeable string
	Checks       Checks
	UpdatedAt    time.Time
}

// Approval is one person's approval of a PR as the host reports it.
type Approval struct {
	User string `json:"user"`
	// Counted is true when the host counts the approval on the current
	// head: it is current, not dismissed, and given by someone the host
	// lets approve.
	Counted bool `json:"counted"`
	// Reason says why it does not count ("no write access", "stale: given
	// on an older head", "dismissed", "not official on Gitea", "not an
	// eligible approver", "given by the pull request's author"); empty
	// when counted.
	Reason string `json:"reason,omitempty"`
	// At is when the host says the approval was given (GitHub's and
	// Gitea's review submitted_at, the built-in approval's time); zero when
	// the host does not say (GitLab's approvals carry no time).
	At time.Time `json:"at,omitzero"`
}

// Reasons an approval does not count, shared by the providers so that one
// cause reads the same on every host.
const (
	ReasonStale       = "stale: given on an older head"
	ReasonDismissed   = "dismissed"
	ReasonAuthor      = "given by the pull request's author"
	ReasonNoWrite     = "no write access"
	ReasonNotOfficial = "not official on Gitea"
	ReasonNotEligible = "not an eligible approver"
)

// CountedApprovers returns the users of the counted approvals, in order.
func CountedApprovers(approvals []Approval) []string {
	var out []string
	for _, a := range approvals {
		if a.Counted {
			out = append(out, a.User)
		}
	}
	return out
}

// Webhooks verifies and parses a Git host's webhook deliveries.
type Webhooks interface {
	// Parse verifies the delivery's signature or token against the
	// configured secret and returns what happened. A bad or missing
	// signature is a derrors.Unauthenticated with code "bad_signature".
	// Deliveries about other things return an Event with Kind EventIgnored.
	Parse(h Headers, body []byte) (Event, error)
}

// EventKind is what a webhook delivery reports.
type EventKind string

// Webhook event kinds.
const (
	EventIgnored  EventKind = "ignored"
	EventMerged   EventKind = "merged"   // PR merged
	EventClosed   EventKind = "closed"   // PR closed without merging
	EventUpdated  EventKind = "updated"  // PR edited, reopened, synchronized, branch deleted…
	EventReviewed EventKind = "reviewed" // approval given or dismissed
	EventChecks   EventKind = "checks"   // CI status changed on a head
)

// Event is one webhook delivery, parsed.
type Event struct {
	// Delivery is the host's delivery id (GitHub X-GitHub-Delivery, GitLab
	// Idempotency-Key/X-Gitlab-Event-UUID, Gitea X-Gitea-Delivery), used to
	// ignore replays.
	Delivery string
	Kind     EventKind
	// Number is the PR the event is about (0 when the event names only a SHA).
	Number   int
	HeadRef  string
	HeadSHA  string
	MergeSHA string
	Actor    string
}
