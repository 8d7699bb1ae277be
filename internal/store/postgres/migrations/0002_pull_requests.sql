-- 0002_pull_requests: pull-request promotions and promotion history.
--
-- A released migration is never edited; change the schema with a new file.

-- Who asked for a promotion and, for pull-request promotions, the PR and how
-- it ended. No approvers (nil or an empty list in Go) is stored as '{}' and
-- reads back as nil. Constant defaults: adding the columns rewrites nothing.
ALTER TABLE promotions
    ADD COLUMN requested_by text    NOT NULL DEFAULT '',
    ADD COLUMN forced       boolean NOT NULL DEFAULT false,
    ADD COLUMN pr_number    integer NOT NULL DEFAULT 0,
    ADD COLUMN pr_url       text    NOT NULL DEFAULT '',
    ADD COLUMN pr_branch    text    NOT NULL DEFAULT '',
    ADD COLUMN merge_sha    text    NOT NULL DEFAULT '',
    ADD COLUMN merged_by    text    NOT NULL DEFAULT '',
    ADD COLUMN approvers    text[]  NOT NULL DEFAULT '{}';

-- ListPromotions by pull request: with application and environment, read in
-- order; alone, a lookup of the few promotions of that number.
CREATE INDEX promotions_pr ON promotions (pr_number, application, environment, created_at, id);

-- ClaimDue now also claims waiting and pr-open promotions: the partial index
-- holds the rows that still have work, oldest first. The claim query spells
-- the predicate the same way, so the planner can prove it implies this one.
DROP INDEX promotions_due;
CREATE INDEX promotions_due ON promotions (created_at, id) WHERE state IN ('pending', 'waiting', 'pr-open');

-- One row per change of a promotion's state or reason. seq orders the
-- transitions of one promotion recorded at the same time: they are written
-- under that promotion's row lock, so in seq order.
CREATE TABLE promotion_transitions (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    promotion_id text COLLATE "C" NOT NULL REFERENCES promotions (id),
    at           timestamptz NOT NULL,
    state        text        NOT NULL,
    actor        text        NOT NULL,
    reason       text        NOT NULL DEFAULT ''
);

-- Transitions: one promotion's history, oldest first.
CREATE INDEX promotion_transitions_promotion ON promotion_transitions (promotion_id, at, seq);
