package store

import "strings"

// SQL is the SQL that both drivers run, written once and spoken in a
// driver's Dialect: releases, promotions, their history and the import of
// history. A driver embeds it beside what stays its own: connections,
// migrations, claiming and idempotency records.
type SQL struct {
	d     Dialect
	read  Conn
	write WriteFunc
	// group commits concurrent release reports and promotion updates
	// together (see Group).
	group *Group
	q     queries
}

// NewSQL returns the shared SQL of a driver whose reads run on read and
// whose writes run in transactions of write.
func NewSQL(d Dialect, read Conn, write WriteFunc) *SQL {
	return &SQL{d: d, read: read, write: write, group: NewGroup(write), q: newQueries(d)}
}

// queries are the fixed statements, in a dialect's placeholders.
type queries struct {
	insertRelease, importRelease, releaseOfImage, storedRelease    string
	release, releaseByDigest, releaseByTag                         string
	insertPromotion, importPromotion, promotion, promotionForWrite string
	updatePromotion, wake, promotionExists                         string
	insertTransition, transitions                                  string
	deploymentPlace, previousDeployment, markRestored              string
	outboxQueries
}

func newQueries(d Dialect) queries {
	r := d.rebind
	values := func(columns string) string {
		n := strings.Count(columns, ",") + 1
		return "VALUES (" + strings.Repeat("?, ", n-1) + "?)"
	}
	insertRelease := `INSERT INTO releases (` + ReleaseColumns + `) ` + values(ReleaseColumns)
	// A promotion's row carries copies of what DORA reads of its release
	// (see releaseFactsSQL), looked up by the release id passed again.
	insertPromotion := `INSERT INTO promotions (` + PromotionColumns + `, ` + ReleaseFactColumns + `) ` +
		strings.TrimSuffix(values(PromotionColumns), ")") + `, ` + releaseFactsSQL(d) + `)`
	newest := ` ORDER BY created_at DESC, id DESC LIMIT 1`
	return queries{
		insertRelease: r(insertRelease + ` ON CONFLICT (application, tag, digest) DO NOTHING`),
		importRelease: r(insertRelease + ` ON CONFLICT DO NOTHING`),
		releaseOfImage: r(`SELECT ` + ReleaseColumns + ` FROM releases
			WHERE application = ? AND tag = ? AND digest = ?`),
		// The release imported promotions refer to: the one imported, or
		// the stored one of its image.
		storedRelease: r(`SELECT id FROM releases WHERE id = ?
			UNION ALL SELECT id FROM releases WHERE application = ? AND tag = ? AND digest = ?
			LIMIT 1`),
		release:           r(`SELECT ` + ReleaseColumns + ` FROM releases WHERE id = ?`),
		releaseByDigest:   r(`SELECT ` + ReleaseColumns + ` FROM releases WHERE application = ? AND digest = ?` + newest),
		releaseByTag:      r(`SELECT ` + ReleaseColumns + ` FROM releases WHERE application = ? AND tag = ?` + newest),
		insertPromotion:   r(insertPromotion),
		importPromotion:   r(insertPromotion + ` ON CONFLICT (id) DO NOTHING`),
		promotion:         r(`SELECT ` + PromotionColumns + ` FROM promotions WHERE id = ?`),
		promotionForWrite: r(`SELECT state, reason, lease_owner, approvers, approvals, next_attempt_at, lease_until FROM promotions WHERE id = ?` + d.forUpdate()),
		updatePromotion: r(`UPDATE promotions SET state = ?, reason = ?, commit_sha = ?, noop = ?,
			attempts = ?, next_attempt_at = ?, lease_owner = ?, lease_until = ?, updated_at = ?,
			pr_number = ?, pr_url = ?, pr_branch = ?, merge_sha = ?, merged_by = ?, approvers = ?, diff = ?, approvals = ?
			WHERE id = ?`),
		wake:             r(`UPDATE promotions SET next_attempt_at = ? WHERE id = ? AND ` + ActiveStatesSQL),
		promotionExists:  r(`SELECT 1 FROM promotions WHERE id = ?`),
		insertTransition: r(`INSERT INTO promotion_transitions (` + TransitionColumns + `) ` + values(TransitionColumns)),
		transitions:      r(transitionsQuery),
		outboxQueries:    newOutboxQueries(d),
		// Where a deployment sits: its application, environment, time
		// and release.
		deploymentPlace: r(`SELECT application, environment, updated_at, release_id FROM promotions WHERE id = ?`),
		// The deployment before that place (in the order of reached, then
		// release id), read backwards from promotions_deployed_next
		// (migration 0016).
		previousDeployment: r(`SELECT id FROM promotions
			WHERE application = ? AND environment = ? AND ` + DeployedSQL + `
				AND updated_at <= ? AND (updated_at < ? OR release_id < ?)
			ORDER BY updated_at DESC, release_id DESC LIMIT 1`),
		markRestored: r(`UPDATE promotions SET restored_at = ` + restoredSQL + ` WHERE id IN (?, ?)`),
	}
}

// transitionsQuery reads one promotion's history, oldest first, in the
// order of the index promotion_transitions_promotion.
const transitionsQuery = `SELECT ` + TransitionColumns + ` FROM promotion_transitions
	WHERE promotion_id = ? ORDER BY at, seq`

// TransitionsQuery returns the query Transitions runs, for plan tests.
func (s *SQL) TransitionsQuery() string { return s.q.transitions }
