-- 0001_init: the first schema of Ferry's SQLite store.
--
-- A released migration is never edited: databases in the field have already
-- applied it. Change the schema with a new file (0002_….sql).
--
-- Times are INTEGER microseconds since the Unix epoch, UTC. The zero Go time
-- is stored as its own (very negative) value, so "due" and "lease expired"
-- comparisons need no NULL cases. State values are checked in Go, not by a
-- CHECK constraint, so a new state needs no table rebuild.

CREATE TABLE releases (
    id            TEXT    NOT NULL PRIMARY KEY,
    application   TEXT    NOT NULL,
    repository    TEXT    NOT NULL,
    tag           TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    source_repo   TEXT    NOT NULL DEFAULT '',
    source_commit TEXT    NOT NULL DEFAULT '',
    source_branch TEXT    NOT NULL DEFAULT '',
    ci_run_url    TEXT    NOT NULL DEFAULT '',
    reported_by   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

-- One release per image: a re-delivered build finds the existing row.
CREATE UNIQUE INDEX releases_image ON releases (application, tag, digest);
-- Listing, newest first, unfiltered and by application.
CREATE INDEX releases_created ON releases (created_at, id);
CREATE INDEX releases_app_created ON releases (application, created_at, id);
-- FindReleaseByDigest / FindReleaseByTag: newest match without a sort.
CREATE INDEX releases_app_digest ON releases (application, digest, created_at, id);
CREATE INDEX releases_app_tag ON releases (application, tag, created_at, id);

CREATE TABLE promotions (
    id              TEXT    NOT NULL PRIMARY KEY,
    release_id      TEXT    NOT NULL REFERENCES releases (id),
    application     TEXT    NOT NULL,
    environment     TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    commit_sha      TEXT    NOT NULL DEFAULT '',
    noop            INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Listing, newest first, for every filter of PromotionFilter. A filter
-- combination without its own index walks the most selective one of these
-- in order and checks the other columns, still without a sort.
CREATE INDEX promotions_created ON promotions (created_at, id);
CREATE INDEX promotions_app_created ON promotions (application, created_at, id);
CREATE INDEX promotions_env_created ON promotions (environment, created_at, id);
-- Also serves ClaimDue: state = 'pending', oldest first.
CREATE INDEX promotions_state_created ON promotions (state, created_at, id);
CREATE INDEX promotions_release_created ON promotions (release_id, created_at, id);
CREATE INDEX promotions_app_env_created ON promotions (application, environment, created_at, id);

CREATE TABLE idempotency_keys (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    completed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
);

-- DeleteIdempotencyBefore.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
