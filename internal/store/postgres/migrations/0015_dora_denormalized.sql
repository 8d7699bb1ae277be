-- 0015_dora_denormalized: the DORA query reads one index, no join
-- (internal/store/dora.go; issue 19: p99 < 50 ms for one application over
-- 1M promotions).
--
-- A released migration is never edited; change the schema with a new file.

-- What the DORA metrics read of a promotion's release, copied onto the
-- promotion when it is written (a release never changes): when the release
-- was reported (releases.created_at), when its source commit was made
-- (releases.source_committed_at, the zero time when CI did not say) and
-- the release a fix-forward repairs (releases.fixes).
ALTER TABLE promotions
    ADD COLUMN release_reported_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN release_committed_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN release_fixes text NOT NULL DEFAULT '';

-- The promotions written before this migration get theirs now.
UPDATE promotions p SET release_reported_at = r.created_at, release_committed_at = r.source_committed_at,
    release_fixes = r.fixes
    FROM releases r WHERE r.id = p.release_id;

-- Deployments (the predicate is store.DeployedSQL word for word), per
-- application in the order they reached an environment, with every column
-- the DORA query reads included: one application's window is a range of
-- this index read index-only, no heap and no join.
DROP INDEX promotions_deployed;
CREATE INDEX promotions_deployed_dora ON promotions (application, updated_at)
    INCLUDE (environment, release_id, release_reported_at, release_committed_at, release_fixes)
    WHERE state IN ('committed', 'merged') AND noop = false;
