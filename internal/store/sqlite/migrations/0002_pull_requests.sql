-- 0002_pull_requests: pull-request promotions and promotion history.
--
-- A released migration is never edited; change the schema with a new file.

-- Who asked for a promotion and, for pull-request promotions, the PR and how
-- it ended. approvers is a JSON array of strings; no approvers (nil or an
-- empty list in Go) is stored as '[]' and reads back as nil.
ALTER TABLE promotions ADD COLUMN requested_by TEXT    NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN forced       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE promotions ADD COLUMN pr_number    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE promotions ADD COLUMN pr_url       TEXT    NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN pr_branch    TEXT    NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN merge_sha    TEXT    NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN merged_by    TEXT    NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN approvers    TEXT    NOT NULL DEFAULT '[]';

-- ListPromotions by pull request: with application and environment, read in
-- order; alone, a lookup of the few promotions of that number.
CREATE INDEX promotions_pr ON promotions (pr_number, application, environment, created_at, id);

-- ClaimDue: the promotions that still have work, oldest first, in a small
-- index. The claim query repeats this predicate word for word: SQLite uses a
-- partial index only for a query whose WHERE clause contains its terms.
CREATE INDEX promotions_due ON promotions (created_at, id) WHERE state IN ('pending', 'waiting', 'pr-open');

-- One row per change of a promotion's state or reason. seq is the rowid:
-- rows are never deleted, so it grows with every insert and orders
-- transitions recorded at the same time in insertion order.
CREATE TABLE promotion_transitions (
    seq          INTEGER NOT NULL PRIMARY KEY,
    promotion_id TEXT    NOT NULL REFERENCES promotions (id),
    at           INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT ''
);

-- Transitions: one promotion's history, oldest first.
CREATE INDEX promotion_transitions_promotion ON promotion_transitions (promotion_id, at, seq);
