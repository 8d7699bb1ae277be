package promotion

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Status is one commit status as a Git host (or Ferry's own API, for the
// built-in provider) reports it.
type Status struct {
	Context     string
	State       string // StatusSuccess, StatusPending, StatusFailure or StatusError
	Description string
	TargetURL   string
	UpdatedAt   time.Time
}

// Commit status states, as GitHub, GitLab and Gitea name them (each
// provider maps its own words onto these).
const (
	StatusSuccess = "success"
	StatusPending = "pending"
	StatusFailure = "failure"
	StatusError   = "error"
)

// CommitStatuses is the optional part of a provider that reads the statuses
// of a commit: every report, oldest or newest first, possibly several per
// context. The health gate needs it.
type CommitStatuses interface {
	CommitStatuses(ctx context.Context, sha string) ([]Status, error)
}

// healthGate holds a promotion until the statuses the environment names are
// success, for long enough, on the commit that brought the release into
// the environment it is promoted from. A red status fails the promotion;
// so does the timeout.
type healthGate struct {
	// arrival returns the completed promotion of a release into env.
	arrival func(ctx context.Context, releaseID, env string) (Promotion, bool, error)
	// statuses reads a commit's statuses in the repository of app; nil
	// reader: the repository's provider cannot.
	statuses func(ctx context.Context, app string) (CommitStatuses, bool)
	// poll is how soon a missing or pending status is read again when no
	// webhook says it changed.
	poll time.Duration
}

func (healthGate) Name() string { return "health" }

// Evaluate reads the statuses now; it is asked again when a status event
// arrives for the commit, or after poll.
func (g healthGate) Evaluate(ctx context.Context, in GateInput) (Decision, error) {
	h := in.Env.Gates.Health
	if h == nil || in.Env.From == "" || in.Promotion.Forced {
		return Decision{Open: true}, nil
	}
	arr, ok, err := g.arrival(ctx, in.Promotion.ReleaseID, in.Env.From)
	if err != nil {
		return Decision{}, err
	}
	if !ok {
		return hold(fmt.Sprintf("health: release has not reached %s; nothing to check yet", in.Env.From), in.Now.Add(g.poll)), nil
	}
	sha := arrivalSHA(arr)
	rd, ok := g.statuses(ctx, in.Promotion.Application)
	if !ok {
		return Decision{Fail: true, Reason: "health: the repository's Git host provider cannot read commit statuses"}, nil
	}
	all, err := rd.CommitStatuses(ctx, sha)
	if err != nil {
		return Decision{}, fmt.Errorf("reading the statuses of %s: %w", short(sha), err)
	}
	var deadline time.Time
	if h.Timeout > 0 {
		deadline = arr.UpdatedAt.Add(h.Timeout.D())
	}
	var wait []string
	until := time.Time{}
	for _, name := range h.Contexts(in.Promotion.Application, in.Env.From, in.Env.Name) {
		st, since, found := latestStatus(all, name)
		switch {
		case !found:
			wait = append(wait, fmt.Sprintf("status %q is missing on %s (%s since %s)", name, short(sha), in.Env.From, stamp(arr.UpdatedAt)))
		case st.State == StatusFailure || st.State == StatusError:
			return Decision{Fail: true, Reason: fmt.Sprintf("health: status %q on %s is %s since %s: %s", name, short(sha), st.State, stamp(since), describeStatus(st))}, nil
		case st.State != StatusSuccess:
			wait = append(wait, fmt.Sprintf("status %q on %s is %s since %s", name, short(sha), st.State, stamp(since)))
		case in.Now.Before(since.Add(h.For.D())):
			green := since.Add(h.For.D())
			wait = append(wait, fmt.Sprintf("status %q on %s is success since %s; healthy for %s at %s", name, short(sha), stamp(since), h.For.D(), stamp(green)))
			if green.After(until) {
				until = green
			}
		}
	}
	if len(wait) == 0 {
		return Decision{Open: true}, nil
	}
	reason := "health: " + strings.Join(wait, "; ")
	if !deadline.IsZero() && !in.Now.Before(deadline) {
		return Decision{Fail: true, Reason: fmt.Sprintf("health: timed out after %s: %s", h.Timeout.D(), strings.Join(wait, "; "))}, nil
	}
	if until.IsZero() || in.Now.Add(g.poll).Before(until) {
		until = in.Now.Add(g.poll) // a missing or pending status, or a long for: look again
	}
	if !deadline.IsZero() && deadline.Before(until) {
		until = deadline
	}
	return hold(reason, until), nil
}

// arrivalSHA is the commit that brought a release into an environment:
// the merge commit of a pull request, else the commit Ferry pushed.
func arrivalSHA(p Promotion) string {
	if p.MergeSHA != "" {
		return p.MergeSHA
	}
	return p.CommitSHA
}

// latest returns the newest status of context name and since when its
// state has held: a deploy tool reports "healthy" again and again, and the
// health soak runs from the first of those reports, not the last.
func latestStatus(all []Status, name string) (Status, time.Time, bool) {
	var mine []Status
	for _, s := range all {
		if s.Context == name {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return Status{}, time.Time{}, false
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].UpdatedAt.Before(mine[j].UpdatedAt) })
	last := mine[len(mine)-1]
	since := last.UpdatedAt
	for i := len(mine) - 2; i >= 0 && mine[i].State == last.State; i-- {
		since = mine[i].UpdatedAt
	}
	return last, since, true
}

func describeStatus(s Status) string {
	d := s.Description
	if d == "" {
		d = "(no description)"
	}
	if s.TargetURL != "" {
		d += " (" + s.TargetURL + ")"
	}
	return d
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
