-- 0011_dora: what the DORA metrics need (internal/store/dora.go).
--
-- A released migration is never edited; change the schema with a new file.

-- When the release's source commit was made, as CI reported it
-- (source_committed_at); the zero time when it did not, and lead time is
-- then measured from the report (created_at).
ALTER TABLE releases ADD COLUMN source_committed_at INTEGER NOT NULL DEFAULT -62135596800000000;
-- The release id a fix-forward release repairs ('' for an ordinary
-- release): its deployment marks the one just before it, in each
-- environment, as a failed change when that one is of the named release.
ALTER TABLE releases ADD COLUMN fixes TEXT NOT NULL DEFAULT '';

-- Deployments: the promotions that changed what runs in an environment,
-- per application and environment in the order they got there (updated_at
-- of a committed or merged promotion is when it did; neither state changes
-- again). The DORA query repeats this predicate word for word: SQLite uses
-- a partial index only for a query whose WHERE clause contains its terms.
-- The window is a range of (application, updated_at), with or without an
-- environment; environment, release_id, state and noop ride along so the
-- query reads the index only.
CREATE INDEX promotions_deployed ON promotions (application, updated_at, environment, release_id, state, noop)
    WHERE state IN ('committed', 'merged') AND noop = false;
