package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// Message is what every channel says about one event, before its format.
type Message struct {
	Event       string    `json:"event"`
	PromotionID string    `json:"promotion_id,omitempty"`
	Application string    `json:"application"`
	Environment string    `json:"environment"`
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	At          time.Time `json:"at"`
	// From is the release that ran in the environment before (its tag),
	// when Ferry knows one; To the one moving in.
	From         string `json:"from,omitempty"`
	To           string `json:"to"`
	Digest       string `json:"digest"`
	Image        string `json:"image,omitempty"`
	SourceRepo   string `json:"source_repo,omitempty"`
	SourceCommit string `json:"source_commit,omitempty"`
	SourceBranch string `json:"source_branch,omitempty"`
	CIRunURL     string `json:"ci_run_url,omitempty"`
	// Approvers are all who approved; ApprovedBy those whose approval
	// this event tells of (promotion.approved).
	Approvers  []string `json:"approvers,omitempty"`
	ApprovedBy []string `json:"approved_by,omitempty"`
	PRURL      string   `json:"pr_url,omitempty"`
	CommitSHA  string   `json:"commit_sha,omitempty"`
	ConsoleURL string   `json:"console_url,omitempty"`
}

// message reads what the event of d is about: its promotion and release
// when it has a promotion, otherwise what the event itself names.
func (s *Sender) message(ctx context.Context, d store.Delivery) (Message, error) {
	ev := d.Event
	m := Message{
		Event: EventName(ev.Kind), Application: ev.Application, Environment: ev.Environment, State: ev.Kind,
		Reason: ev.Reason, Actor: ev.Actor, At: ev.At, To: ev.Detail.Tag, Digest: ev.Detail.Digest, Image: ev.Detail.Image,
		SourceRepo: ev.Detail.SourceRepo, SourceCommit: ev.Detail.SourceCommit, CIRunURL: ev.Detail.CIRunURL,
		ApprovedBy: ev.Detail.Approvers,
	}
	if ev.PromotionID == "" || ev.Kind == store.EventReportAccepted {
		return m, nil
	}
	p, err := s.store.GetPromotion(ctx, ev.PromotionID)
	if err != nil {
		return Message{}, err
	}
	r, err := s.store.GetRelease(ctx, p.ReleaseID)
	if err != nil {
		return Message{}, err
	}
	m.PromotionID, m.Environment = p.ID, p.Environment
	m.To, m.Digest, m.Image = r.Tag, r.Digest, r.Repository
	m.SourceRepo, m.SourceCommit, m.SourceBranch, m.CIRunURL = r.SourceRepo, r.SourceCommit, r.SourceBranch, r.CIRunURL
	m.PRURL, m.CommitSHA = p.PRURL, firstNonEmpty(p.MergeSHA, p.CommitSHA)
	switch ev.Kind {
	case store.EventApproved:
		m.Approvers = ev.Detail.Counted
	case string(promotion.StateCommitted), string(promotion.StateMerged):
		// Who approved what went out; earlier events are told before
		// the approvals they would otherwise show.
		m.Approvers = p.Approvers
	}
	if s.n.ConsoleURL != "" {
		m.ConsoleURL = strings.TrimSuffix(s.n.ConsoleURL, "/") + "/promotions/" + p.ID
	}
	m.From = s.previous(ctx, p)
	return m, nil
}

// previous returns the tag of the release last completed into p's
// environment before p, or "" when none is known.
func (s *Sender) previous(ctx context.Context, p promotion.Promotion) string {
	ls, ok := s.store.(interface {
		ListPromotions(ctx context.Context, f promotion.PromotionFilter) (promotion.Page[promotion.Promotion], error)
	})
	if !ok {
		return ""
	}
	for _, st := range []promotion.State{promotion.StateCommitted, promotion.StateMerged} {
		page, err := ls.ListPromotions(ctx, promotion.PromotionFilter{Application: p.Application, Environment: p.Environment, State: st, Limit: 5})
		if err != nil {
			continue
		}
		for _, q := range page.Items {
			if q.ID != p.ID && q.ReleaseID != p.ReleaseID && q.CreatedAt.Before(p.CreatedAt) {
				if r, err := s.store.GetRelease(ctx, q.ReleaseID); err == nil {
					return r.Tag
				}
			}
		}
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Text is the one-line summary every channel leads with: what moved where,
// from → to, who approved, and why it stopped if it did.
func (m Message) Text() string {
	var b strings.Builder
	move := m.To
	if m.From != "" {
		move = m.From + " → " + m.To
	}
	switch m.State {
	case store.EventReportAccepted, store.EventReportRefused:
		fmt.Fprintf(&b, "%s %s reported", m.Application, m.To)
		if m.Actor != "" {
			fmt.Fprintf(&b, " by %s", m.Actor)
		}
		if m.State == store.EventReportAccepted {
			fmt.Fprintf(&b, ": accepted (%s)", shortDigest(m.Digest))
		} else {
			fmt.Fprintf(&b, ": refused (%s)", m.Reason)
		}
		return b.String()
	case store.EventPinned, store.EventUnpinned:
		fmt.Fprintf(&b, "%s in %s: %s by %s", m.Application, m.Environment, m.State, m.Actor)
		if m.Reason != "" {
			fmt.Fprintf(&b, " (%s)", m.Reason)
		}
		return b.String()
	case store.EventApproved:
		fmt.Fprintf(&b, "%s %s in %s: approved by %s", m.Application, move, m.Environment, strings.Join(m.ApprovedBy, ", "))
		if len(m.Approvers) > len(m.ApprovedBy) {
			fmt.Fprintf(&b, " (approvals: %s)", strings.Join(m.Approvers, ", "))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s in %s: %s", m.Application, move, m.Environment, humanState(m.State))
	if len(m.Approvers) > 0 {
		fmt.Fprintf(&b, ", approved by %s", strings.Join(m.Approvers, ", "))
	}
	if m.Reason != "" && (m.State == "failed" || m.State == "waiting" || m.State == "rejected") {
		fmt.Fprintf(&b, " (%s)", m.Reason)
	}
	return b.String()
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func humanState(state string) string {
	switch state {
	case "pending":
		return "promotion started"
	case "pr-open":
		return "pull request opened"
	case "waiting":
		return "waiting on a gate"
	}
	return state
}

// links are the message's links, labelled, in a stable order: the pull
// request, the source commit (when the report named a web URL of its
// repository), the CI run and the console page.
func (m Message) links() [][2]string {
	var out [][2]string
	if m.PRURL != "" {
		out = append(out, [2]string{"Pull request", m.PRURL})
	}
	if u := m.sourceCommitURL(); u != "" {
		out = append(out, [2]string{"Source commit", u})
	}
	if strings.HasPrefix(m.CIRunURL, "https://") || strings.HasPrefix(m.CIRunURL, "http://") {
		out = append(out, [2]string{"CI run", m.CIRunURL})
	}
	if m.ConsoleURL != "" {
		out = append(out, [2]string{"Promotion", m.ConsoleURL})
	}
	return out
}

// sourceCommitURL is the web page of the source commit: GitHub, GitLab,
// Gitea, Forgejo and Bitbucket all serve <repository>/commit/<sha>.
func (m Message) sourceCommitURL() string {
	if m.SourceCommit == "" || !(strings.HasPrefix(m.SourceRepo, "https://") || strings.HasPrefix(m.SourceRepo, "http://")) {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSuffix(m.SourceRepo, "/"), ".git") + "/commit/" + m.SourceCommit
}
