package store

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ferryhq/ferry/internal/promotion"
)

// The columns of each table, in the order of its args and scan functions.
const (
	ReleaseColumns = `id, application, repository, tag, digest, source_repo, source_commit,
	source_branch, ci_run_url, reported_by, created_at, verification, source_committed_at, fixes`
	PromotionColumns = `id, release_id, application, environment, state, reason, commit_sha, noop,
	attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at,
	requested_by, forced, pr_number, pr_url, pr_branch, merge_sha, merged_by, approvers, diff, set_release_id, approvals`
	TransitionColumns = `promotion_id, at, state, actor, reason`
	// ReleaseFactColumns are the columns of promotions that copy what
	// the DORA query reads of the promotion's release (migration 0015),
	// written with the promotion and never read back into it.
	ReleaseFactColumns = `release_reported_at, release_committed_at, release_fixes`
)

// releaseFactsSQL is the values of ReleaseFactColumns in an INSERT of a
// promotion: looked up in its release, whose id is the last three
// arguments (promotionArgs). A release never changes, so the copies stay
// true. An unknown release leaves them at their zero values, and the
// foreign key then refuses the row as it would without them.
func releaseFactsSQL(d Dialect) string {
	zero := `'0001-01-01 00:00:00+00'`
	if d.MicroTimes {
		zero = fmt.Sprint(zeroMicros)
	}
	of := func(column, zero string) string {
		return `COALESCE((SELECT ` + column + ` FROM releases WHERE id = ?), ` + zero + `)`
	}
	return of("created_at", zero) + `, ` + of("source_committed_at", zero) + `, ` + of("fixes", `''`)
}

// ActiveStatesSQL is ActiveStates as SQL, word for word the predicate of the
// partial index promotions_due (migration 0002 of each driver); the drivers'
// tests hold the three together.
const ActiveStatesSQL = `state IN ('pending', 'waiting', 'pr-open')`

func (s *SQL) releaseArgs(r promotion.Release) []any {
	d := s.d
	v, err := EncodeVerification(r.Verification)
	if err != nil {
		v = "" // Facts hold only strings and a time: this cannot happen
	}
	return []any{r.ID, r.Application, r.Repository, r.Tag, r.Digest, r.SourceRepo, r.SourceCommit,
		r.SourceBranch, r.CIRunURL, r.ReportedBy, d.time(r.CreatedAt), v, d.time(r.SourceCommittedAt), r.Fixes}
}

func (s *SQL) scanRelease(row Row) (promotion.Release, error) {
	var r promotion.Release
	var created, committed timeColumn
	var v string
	err := row.Scan(&r.ID, &r.Application, &r.Repository, &r.Tag, &r.Digest, &r.SourceRepo, &r.SourceCommit,
		&r.SourceBranch, &r.CIRunURL, &r.ReportedBy, created.dest(s.d), &v, committed.dest(s.d), &r.Fixes)
	r.CreatedAt = created.value(s.d)
	r.SourceCommittedAt = committed.value(s.d)
	if err == nil {
		r.Verification, err = DecodeVerification(v)
	}
	return r, err
}

func (s *SQL) promotionArgs(p promotion.Promotion) []any {
	d := s.d
	return []any{p.ID, p.ReleaseID, p.Application, p.Environment, string(p.State), p.Reason, p.CommitSHA, p.Noop,
		p.Attempts, d.time(p.NextAttemptAt), p.LeaseOwner, d.time(p.LeaseUntil), d.time(p.CreatedAt), d.time(p.UpdatedAt),
		p.RequestedBy, p.Forced, p.PRNumber, p.PRURL, p.PRBranch, p.MergeSHA, p.MergedBy, d.list(p.Approvers), p.Diff, p.SetRelease, EncodeApprovals(p.Approvals),
		p.ReleaseID, p.ReleaseID, p.ReleaseID}
}

// ScanPromotion reads a row of PromotionColumns, followed by the columns
// of extra, if any.
func (s *SQL) ScanPromotion(row Row, extra ...any) (promotion.Promotion, error) {
	// The row and the columns that need decoding in one allocation, not
	// one each: a list scans many rows.
	var c struct {
		p                             promotion.Promotion
		state                         string
		next, until, created, updated timeColumn
		approvers                     listColumn
		approvals                     string
	}
	p, d := &c.p, s.d
	dest := []any{&p.ID, &p.ReleaseID, &p.Application, &p.Environment, &c.state, &p.Reason, &p.CommitSHA, &p.Noop,
		&p.Attempts, c.next.dest(d), &p.LeaseOwner, c.until.dest(d), c.created.dest(d), c.updated.dest(d),
		&p.RequestedBy, &p.Forced, &p.PRNumber, &p.PRURL, &p.PRBranch, &p.MergeSHA, &p.MergedBy, c.approvers.dest(d), &p.Diff, &p.SetRelease, &c.approvals}
	if len(extra) > 0 {
		dest = append(dest, extra...)
	}
	if err := row.Scan(dest...); err != nil {
		return c.p, err
	}
	p.State = promotion.State(c.state)
	p.NextAttemptAt = c.next.value(d)
	p.LeaseUntil = c.until.value(d)
	p.CreatedAt = c.created.value(d)
	p.UpdatedAt = c.updated.value(d)
	var err error
	if p.Approvers, err = c.approvers.value(d); err != nil {
		return c.p, fmt.Errorf("decoding approvers of promotion %q: %w", p.ID, err)
	}
	if p.Approvals, err = DecodeApprovals(c.approvals); err != nil {
		return c.p, fmt.Errorf("decoding approvals of promotion %q: %w", p.ID, err)
	}
	return c.p, nil
}

func (s *SQL) transitionArgs(tr promotion.Transition) []any {
	return []any{tr.PromotionID, s.d.time(tr.At), string(tr.State), tr.Actor, tr.Reason}
}

func (s *SQL) scanTransition(row Row) (promotion.Transition, error) {
	var tr promotion.Transition
	var state string
	var at timeColumn
	err := row.Scan(&tr.PromotionID, at.dest(s.d), &state, &tr.Actor, &tr.Reason)
	tr.At = at.value(s.d)
	tr.State = promotion.State(state)
	return tr, err
}

// EncodeApprovals is the approvals column of a: a JSON array, ” when a is
// empty.
func EncodeApprovals(a []promotion.Approval) string {
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "" // strings and a bool: this cannot happen
	}
	return string(b)
}

// DecodeApprovals reads an approvals column; ” (and an empty array) is
// nil.
func DecodeApprovals(s string) ([]promotion.Approval, error) {
	if s == "" {
		return nil, nil
	}
	var a []promotion.Approval
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", s, err)
	}
	if len(a) == 0 {
		return nil, nil
	}
	return a, nil
}

// ApprovalsTransition returns the transition UpdatePromotion records when
// the counted set of p's approvals differs from that of had (the approvals
// of the row it overwrites): the summary of every approval, counted or
// not, at p.UpdatedAt, by p.Actor, else DefaultActor. A promotion that
// carries no approvals (a write that does not look at them) records none.
func ApprovalsTransition(had []promotion.Approval, p promotion.Promotion) (promotion.Transition, bool) {
	if len(p.Approvals) == 0 || slices.Equal(countedOf(had), countedOf(p.Approvals)) {
		return promotion.Transition{}, false
	}
	return promotion.Transition{
		PromotionID: p.ID,
		At:          p.UpdatedAt,
		State:       p.State,
		Actor:       firstOf(p.Actor, DefaultActor),
		Reason:      promotion.ApprovalsSummary(p.Approvals),
	}, true
}

// countedOf returns the users whose approval counts, sorted.
func countedOf(a []promotion.Approval) []string {
	var out []string
	for _, x := range a {
		if x.Counted {
			out = append(out, x.User)
		}
	}
	slices.Sort(out)
	return out
}
