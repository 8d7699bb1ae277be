package promotion

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
)

// approvalsLine is the pull request description's line of approvals:
// "Approvals: 1 of 2: alice (counted), mallory (no write access)", what a
// release manager needs to see, or "" when the environment asks for none
// and none was given.
func approvalsLine(approvals []Approval, need int) string {
	if need == 0 && len(approvals) == 0 {
		return ""
	}
	counted := len(CountedApprovers(approvals))
	var b strings.Builder
	fmt.Fprintf(&b, "**Approvals: %d of %d**: ", counted, need)
	if len(approvals) == 0 {
		b.WriteString("none yet")
	}
	for i, a := range approvals {
		if i > 0 {
			b.WriteString(", ")
		}
		why := "counted"
		if !a.Counted {
			why = cmpOr(a.Reason, "not counted")
		}
		fmt.Fprintf(&b, "%s (%s)", a.User, why)
	}
	b.WriteString("\n\n")
	return b.String()
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// countedChanged reports whether the approvals that count differ between
// two looks at a pull request.
func countedChanged(had, now []Approval) bool {
	a, b := CountedApprovers(had), CountedApprovers(now)
	slices.Sort(a)
	slices.Sort(b)
	return !slices.Equal(a, b)
}

// describeApprovals rewrites an open pull request's description, so that
// it lists the approvals now given, when the ones that count changed since
// the last look (it.p.Approvals). Only then: rewriting it on every look or
// every review would be a write to the host each time, and edit noise on
// the pull request. Providers without Describer keep the description they
// opened with; a failure is only logged (the promotion says the same).
func (e *Engine) describeApprovals(ctx context.Context, prov PullRequests, repo *Repo, it *item, env config.Environment, pr PR, now []Approval) {
	d, ok := prov.(Describer)
	if !ok || !countedChanged(it.p.Approvals, now) {
		return
	}
	snap, err := repo.Git.Read(ctx, it.target.Branch)
	if err != nil {
		e.log.Warn("describing a pull request's approvals", zap.String("promotion", it.p.ID), zap.Error(err))
		return
	}
	current, curErr := readTarget(snap, it.app, it.target)
	described := *it
	described.p.Approvals = now
	body := e.prBody(ctx, &described, env, current, curErr)
	if err := d.Describe(ctx, pr.Number, prTitle(it, env), body); err != nil {
		e.log.Warn("describing a pull request's approvals", zap.String("promotion", it.p.ID), zap.Int("pr", pr.Number), zap.Error(err))
	}
}

// describeSetApprovals is describeApprovals for a release set's pull
// request (members[0] leads).
func (e *Engine) describeSetApprovals(ctx context.Context, prov PullRequests, w setWork, members []*item, pr PR, now []Approval) {
	d, ok := prov.(Describer)
	if !ok || !countedChanged(members[0].p.Approvals, now) {
		return
	}
	snap, err := w.ref.repo.Git.Read(ctx, members[0].target.Branch)
	if err != nil {
		e.log.Warn("describing a pull request's approvals", zap.String("promotion", members[0].p.ID), zap.Error(err))
		return
	}
	described := w
	described.items = make([]*item, len(members))
	currents := make([]setCurrent, len(members))
	for i, it := range members {
		img, err := readTarget(snap, it.app, it.target)
		currents[i] = setCurrent{img: img, err: err}
		c := *it
		c.p.Approvals = now
		described.items[i] = &c
	}
	if err := d.Describe(ctx, pr.Number, setPRTitle(described), e.setPRBody(ctx, described, currents)); err != nil {
		e.log.Warn("describing a pull request's approvals", zap.String("promotion", members[0].p.ID), zap.Int("pr", pr.Number), zap.Error(err))
	}
}
