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
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
