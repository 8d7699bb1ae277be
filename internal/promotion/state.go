package promotion

import "time"

// State is where a promotion is in its life.
type State string

// Promotion states: pending → (waiting) → committed | pr-open → merged,
// or rejected, superseded, failed.
const (
	StatePending    State = "pending"
	StateWaiting    State = "waiting"
	StateCommitted  State = "committed"
	StatePROpen     State = "pr-open"
	StateMerged     State = "merged"
	StateRejected   State = "rejected"
	StateSuperseded State = "superseded"
	StateFailed     State = "failed"
)

// States lists every state, in life order.
var States = []State{StatePending, StateWaiting, StateCommitted, StatePROpen, StateMerged, StateRejected, StateSuperseded, StateFailed}

// Terminal reports whether no more work will happen on a promotion in s.
func (s State) Terminal() bool {
	switch s {
	case StateCommitted, StateMerged, StateRejected, StateSuperseded, StateFailed:
		return true
	}
	return false
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// Promotion is a release moving into one environment.
type Promotion struct {
	ID          string
	ReleaseID   string
	Application string
	Environment string
	State       State
	// Reason says why the promotion is in its state: the last error of a
	// failed or retried attempt, what a waiting promotion waits for, which
	// promotion superseded this one.
	Reason string
	// CommitSHA is the commit that carries the change (or, for a no-op, the
	// branch head that already had it).
	CommitSHA string
	// Noop is true when the target already held the release: no commit made.
	Noop bool
	// Attempts counts tries of the Git work; NextAttemptAt says when the next runs.
	Attempts      int
	NextAttemptAt time.Time
	// LeaseOwner and LeaseUntil mark the worker that holds the promotion.
	LeaseOwner string
	LeaseUntil time.Time
	// Reclaimed is not stored: Store.ClaimDue sets it on a promotion it
	// claims whose lease had run out without being released (a LeaseOwner
	// was still set), so that its previous holder may have pushed its
	// commit without recording it. Every other read leaves it false.
	Reclaimed bool
	CreatedAt time.Time
	UpdatedAt time.Time

	// RequestedBy is who asked for the promotion: the token that reported
	// the build, the release manager who promoted, or "ferry" for a
	// promotion started because the previous environment completed.
	RequestedBy string
	// SetRelease is the set release the promotion moves with, "" for a
	// promotion of one application. The promotions of a set release into
	// one environment are written as one commit or one pull request.
	SetRelease string
	// Forced is true when a release manager skipped the from chain.
	Forced bool
	// Pull-request promotions: the PR on the Git host, its branch, and how
	// it ended.
	PRNumber int
	PRURL    string
	PRBranch string
	MergeSHA string
	MergedBy string
	// Approvers are the distinct people whose approval stands.
	Approvers []string
	// Approvals are every approval the host (or Ferry's built-in review)
	// last reported on the promotion's pull request, counted or not, with
	// why not (the host's verdict, four eyes, the approvers list).
	Approvals []Approval
	// Diff is the unified diff the promotion applied to its target file
	// (bounded to maxDiff), once it has been committed to a branch.
	Diff string

	// Actor and Note are not stored as fields: when UpdatePromotion or
	// CompletePromotion changes State or Reason, the store appends a Transition
	// with Actor (default "ferry") and Note (default Reason) in the same
	// transaction. CreateRelease and CreatePromotion record the first transition.
	Actor string
	Note  string
}

// Transition is one change in a promotion's life.
type Transition struct {
	PromotionID string
	At          time.Time
	State       State
	Actor       string
	Reason      string
}
