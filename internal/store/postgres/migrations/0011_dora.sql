-- 0011_dora: what the DORA metrics need (internal/store/dora.go).
--
-- A released migration is never edited; change the schema with a new file.

-- When the release's source commit was made, as CI reported it
-- (source_committed_at); the zero time when it did not, and lead time is
-- then measured from the report (created_at).
ALTER TABLE releases
    ADD COLUMN source_committed_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    -- The release id a fix-forward release repairs ('' for an ordinary
    -- release): its deployment marks the one just before it, in each
    -- environment, as a failed change when that one is of the named
    -- release.
    ADD COLUMN fixes text NOT NULL DEFAULT '';

-- Deployments: the promotions that changed what runs in an environment,
-- per application and environment in the order they got there (updated_at
-- of a committed or merged promotion is when it did; neither state changes
-- again). The window is a range of (application, updated_at), with or
-- without an environment; the other columns ride along for an index-only
-- read.
CREATE INDEX promotions_deployed ON promotions (application, updated_at, environment, release_id, state, noop)
    WHERE state IN ('committed', 'merged') AND noop = false;
