-- 0001_init: the first schema of Ferry's PostgreSQL store.
--
-- A released migration is never edited: databases in the field have already
-- applied it. Change the schema with a new file (0002_….sql).
--
-- Tables are created in the first schema of search_path. Times are
-- timestamptz (microsecond precision, UTC on the wire); the zero Go time is
-- stored as 0001-01-01 UTC, so "due" and "lease expired" comparisons need no
-- NULL cases. Ids sort bytewise (COLLATE "C") whatever the database's
-- collation, so that list order and cursors agree with the SQLite store.
-- State values are checked in Go, so a new state needs no migration.

CREATE TABLE releases (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    application   text        NOT NULL,
    repository    text        NOT NULL,
    tag           text        NOT NULL,
    digest        text        NOT NULL,
    source_repo   text        NOT NULL DEFAULT '',
    source_commit text        NOT NULL DEFAULT '',
    source_branch text        NOT NULL DEFAULT '',
    ci_run_url    text        NOT NULL DEFAULT '',
    reported_by   text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
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
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    release_id      text COLLATE "C" NOT NULL REFERENCES releases (id),
    application     text        NOT NULL,
    environment     text        NOT NULL,
    state           text        NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    commit_sha      text        NOT NULL DEFAULT '',
    noop            boolean     NOT NULL DEFAULT false,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text        NOT NULL DEFAULT '',
    lease_until     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Listing, newest first, for every filter of PromotionFilter. A filter
-- combination without its own index walks the most selective one of these
-- in order and checks the other columns, still without a sort.
CREATE INDEX promotions_created ON promotions (created_at, id);
CREATE INDEX promotions_app_created ON promotions (application, created_at, id);
CREATE INDEX promotions_env_created ON promotions (environment, created_at, id);
CREATE INDEX promotions_state_created ON promotions (state, created_at, id);
CREATE INDEX promotions_release_created ON promotions (release_id, created_at, id);
CREATE INDEX promotions_app_env_created ON promotions (application, environment, created_at, id);
-- ClaimDue: the pending rows, oldest first, in a small index.
CREATE INDEX promotions_due ON promotions (created_at, id) WHERE state = 'pending';

CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer     NOT NULL DEFAULT 0,
    body         bytea,
    created_at   timestamptz NOT NULL,
    completed    boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (scope, key)
);

-- DeleteIdempotencyBefore.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
