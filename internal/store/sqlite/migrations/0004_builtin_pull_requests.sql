-- 0004_builtin_pull_requests: the built-in provider's pull requests, for Git
-- servers without a pull-request API (internal/scm/builtin).
--
-- A released migration is never edited; change the schema with a new file.

-- One row per pull request; number counts per repository from 1 and is never
-- reused (the next is the highest + 1, taken in the creating transaction).
CREATE TABLE builtin_pull_requests (
    repository TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    head       TEXT    NOT NULL,
    base       TEXT    NOT NULL,
    head_sha   TEXT    NOT NULL DEFAULT '',
    state      TEXT    NOT NULL,
    merge_sha  TEXT    NOT NULL DEFAULT '',
    merged_by  TEXT    NOT NULL DEFAULT '',
    closed_by  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (repository, number)
);

-- OpenPullRequest: the open one of a head branch.
CREATE INDEX builtin_pull_requests_head ON builtin_pull_requests (repository, head, state);

-- Approvals stand on the head they were given for: a new push to the branch
-- starts the count again, as hosts dismiss stale reviews. Approving twice is
-- one row. Approvals are listed in rowid order (the order they were given).
CREATE TABLE builtin_approvals (
    repository TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    head_sha   TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (repository, number, head_sha, actor)
);
