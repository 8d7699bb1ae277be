package console

import (
	"regexp"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// approvalRow is one approval on a promotion's page: whether the approval
// policy counted it, and why not.
type approvalRow struct {
	User    string
	Counted bool
	Reason  string
	At      time.Time // zero when the promotion does not say
}

// uncountedRE finds the uncounted approvals the approvals gate lists in a
// waiting promotion's reason: "waiting for approvals: 1 of 2 (mallory: no
// write access; bob: requested the promotion)".
var uncountedRE = regexp.MustCompile(`^waiting for approvals: \d+ of \d+ \(([^()]*)\)`)

// approvalsOf lists a promotion's approvals: the records it stores
// (Approvals: counted or not, with why not), else, for a promotion
// recorded before those were stored, the counted ones (Approvers) and the
// uncounted ones with their reasons as the approvals gate last wrote them
// into the promotion's reason.
func approvalsOf(p promotion.Promotion) []approvalRow {
	var rows []approvalRow
	if len(p.Approvals) > 0 {
		for _, a := range p.Approvals {
			rows = append(rows, approvalRow{User: a.User, Counted: a.Counted, Reason: a.Reason, At: a.At})
		}
		return rows
	}
	for _, u := range p.Approvers {
		rows = append(rows, approvalRow{User: u, Counted: true})
	}
	m := uncountedRE.FindStringSubmatch(p.Reason)
	if m == nil {
		return rows
	}
	for _, part := range strings.Split(m[1], "; ") {
		user, why, ok := strings.Cut(part, ": ")
		if !ok || user == "" {
			continue
		}
		rows = append(rows, approvalRow{User: user, Reason: why})
	}
	return rows
}

// countedApprovals is how many rows counted.
func countedApprovals(rows []approvalRow) int {
	n := 0
	for _, r := range rows {
		if r.Counted {
			n++
		}
	}
	return n
}
