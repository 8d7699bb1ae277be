// Package scmtest is the conformance table every pull-request provider
// passes against a fake of its host: one shared model of a repository's
// pull requests, which each host's fake serves in that host's wire format,
// and one table of cases run against every host.
package scmtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// Verdict is a reviewer's decision.
type Verdict string

// Verdicts.
const (
	Approve        Verdict = "approve"
	RequestChanges Verdict = "request-changes"
)

// Push is one head the pull request's branch had.
type Push struct {
	SHA string
	At  time.Time
}

// Review is a reviewer's latest decision, on the head it was given on.
type Review struct {
	User    string
	Verdict Verdict
	SHA     string
	At      time.Time
}

// Status is one CI result on a commit.
type Status struct {
	Key   string
	State promotion.Checks // pending, passed or failed
}

// PR is a pull request as the fake host holds it.
type PR struct {
	Number      int
	Title, Body string
	Head, Base  string
	Author      string
	State       promotion.PRState
	Pushes      []Push
	Reviews     []Review
	Comments    []string
	MergeSHA    string
	ClosedBy    string
	Created     time.Time
	Updated     time.Time
}

// HeadSHA is the PR's current head.
func (pr *PR) HeadSHA() string { return pr.Pushes[len(pr.Pushes)-1].SHA }

// HeadAt is when the current head was pushed.
func (pr *PR) HeadAt() time.Time { return pr.Pushes[len(pr.Pushes)-1].At }

// Model is one repository on a fake host. Fakes lock it (Lock, Unlock)
// around every request; the cases change it through its methods.
type Model struct {
	sync.Mutex
	// Bot is Ferry's account on the host: the author of the PRs it opens.
	Bot      string
	PRs      []*PR
	Statuses map[string][]Status // by commit
	// Conflict makes the next merge fail as the host reports conflicts.
	Conflict bool

	clock   time.Time
	seq     int
	limited int
	writes  int
	calls   int
}

// NewModel returns an empty repository whose PRs Ferry opens as bot.
func NewModel(bot string) *Model {
	return &Model{Bot: bot, Statuses: map[string][]Status{}, clock: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
}

// Tick advances the host's clock by a minute and returns it, so that every
// change has its own, later time. Call with the model locked.
func (m *Model) Tick() time.Time {
	m.clock = m.clock.Add(time.Minute)
	return m.clock
}

// NewSHA returns a fresh 40-hex commit id. Call with the model locked.
func (m *Model) NewSHA() string {
	m.seq++
	sum := sha1.Sum([]byte("commit " + strconv.Itoa(m.seq)))
	return hex.EncodeToString(sum[:])
}

// Find returns PR number, or nil. Call with the model locked.
func (m *Model) Find(number int) *PR {
	for _, pr := range m.PRs {
		if pr.Number == number {
			return pr
		}
	}
	return nil
}

// Open adds an open PR from head into base by author. Call with the model locked.
func (m *Model) Open(head, base, title, body, author string) *PR {
	at := m.Tick()
	pr := &PR{
		Number: len(m.PRs) + 1, Title: title, Body: body, Head: head, Base: base, Author: author,
		State: promotion.PROpen, Pushes: []Push{{SHA: m.NewSHA(), At: at}}, Created: at, Updated: at,
	}
	m.PRs = append(m.PRs, pr)
	return pr
}

// Merge merges pr, by user. Call with the model locked.
func (m *Model) Merge(pr *PR, by string) {
	pr.State, pr.MergeSHA, pr.ClosedBy, pr.Updated = promotion.PRMerged, m.NewSHA(), by, m.Tick()
}

// Decline closes pr unmerged, by user. Call with the model locked.
func (m *Model) Decline(pr *PR, by string) {
	pr.State, pr.ClosedBy, pr.Updated = promotion.PRClosed, by, m.Tick()
}

// Push moves pr's head to a new commit and returns it.
func (m *Model) Push(number int) string {
	m.Lock()
	defer m.Unlock()
	pr := m.Find(number)
	at := m.Tick()
	sha := m.NewSHA()
	pr.Pushes = append(pr.Pushes, Push{SHA: sha, At: at})
	pr.Updated = at
	return sha
}

// Review records user's verdict on pr's current head, replacing theirs.
func (m *Model) Review(number int, user string, v Verdict) {
	m.Lock()
	defer m.Unlock()
	pr := m.Find(number)
	r := Review{User: user, Verdict: v, SHA: pr.HeadSHA(), At: m.Tick()}
	for i := range pr.Reviews {
		if pr.Reviews[i].User == user {
			pr.Reviews[i] = r
			return
		}
	}
	pr.Reviews = append(pr.Reviews, r)
}

// SetStatus reports a CI result on sha.
func (m *Model) SetStatus(sha, key string, state promotion.Checks) {
	m.Lock()
	defer m.Unlock()
	m.Statuses[sha] = append(m.Statuses[sha], Status{Key: key, State: state})
}

// Limit makes the host answer the next n requests with 429 and Retry-After.
func (m *Model) Limit(n int) {
	m.Lock()
	m.limited = n
	m.Unlock()
}

// Writes is how many content-creating requests the host received.
func (m *Model) Writes() int {
	m.Lock()
	defer m.Unlock()
	return m.writes
}

// Calls is how many requests the host received.
func (m *Model) Calls() int {
	m.Lock()
	defer m.Unlock()
	return m.calls
}

// RetryAfter is what the fake's 429 asks: 30 seconds.
const RetryAfter = 30 * time.Second

// Serve wraps a host's fake: it counts requests and answers 429 with
// Retry-After while the model is rate limited (every host documents 429
// with Retry-After), and otherwise calls next with the model locked.
func (m *Model) Serve(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Lock()
		defer m.Unlock()
		m.calls++
		if m.limited > 0 {
			m.limited--
			w.Header().Set("Retry-After", fmt.Sprint(int(RetryAfter.Seconds())))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Rate limit for this resource has been exceeded"}`)
			return
		}
		if r.Method != http.MethodGet {
			m.writes++
		}
		next(w, r)
	})
}
