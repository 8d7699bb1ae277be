-- 0016_dora_restored: the DORA query is an indexed aggregate, no window
-- function (internal/store/dora.go; issue 19: p99 < 50 ms for one
-- application over 1M promotions).
--
-- A released migration is never edited; change the schema with a new file.

-- When a deployment was restored: the time the next deployment of the same
-- application into the same environment (in the order of updated_at, then
-- release_id) reached it, when that next deployment restored this one (a
-- rollback: its release was reported before this one's; or a fix-forward
-- naming this one's release); NULL otherwise. The store keeps it when a
-- deployment is written (store.restoredSQL, this very expression), for the
-- deployment and the one before it.
ALTER TABLE promotions ADD COLUMN restored_at timestamptz;

-- Deployments of one application in one environment in order: the
-- neighbours the store looks up when it writes a deployment.
CREATE INDEX promotions_deployed_next ON promotions (application, environment, updated_at, release_id)
    WHERE state IN ('committed', 'merged') AND noop = false;

-- The deployments written before this migration get theirs now.
UPDATE promotions SET restored_at = (
    SELECT CASE WHEN n.release_reported_at < promotions.release_reported_at OR n.release_fixes = promotions.release_id
        THEN n.updated_at END
    FROM promotions n
    WHERE n.application = promotions.application AND n.environment = promotions.environment
        AND n.state IN ('committed', 'merged') AND n.noop = false
        AND n.updated_at >= promotions.updated_at
        AND (n.updated_at > promotions.updated_at OR n.release_id > promotions.release_id)
    ORDER BY n.updated_at, n.release_id LIMIT 1)
WHERE state IN ('committed', 'merged') AND noop = false;

-- The DORA index, with restored_at: one application's window is still one
-- range of it, read index-only.
DROP INDEX promotions_deployed_dora;
CREATE INDEX promotions_deployed_dora ON promotions (application, updated_at)
    INCLUDE (environment, release_id, release_reported_at, release_committed_at, restored_at)
    WHERE state IN ('committed', 'merged') AND noop = false;
