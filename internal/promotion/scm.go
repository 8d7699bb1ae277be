package promotion

import (
	"context"
	"net/http"
	"time"
)

// PullRequests is what the engine needs of a Git host's pull (merge)
// requests. Providers live in internal/scm/<host>; the built-in provider,
// for Git servers without a PR API, is the engine itself.
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
	// Approvers are the distinct people whose approval stands on the current head.
	Approvers []string
	Checks    Checks
	UpdatedAt time.Time
}

// Webhooks verifies and parses a Git host's webhook deliveries.
type Webhooks interface {
	// Parse verifies the delivery's signature or token against the
	// configured secret and returns what happened. A bad or missing
	// signature is a derrors.Unauthenticated with code "bad_signature".
	// Deliveries about other things return an Event with Kind EventIgnored.
	Parse(h http.Header, body []byte) (Event, error)
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
