-- 0004_builtin_pull_requests: the built-in provider's pull requests, for Git
-- servers without a pull-request API (internal/scm/builtin).
--
-- A released migration is never edited; change the schema with a new file.

-- One row per pull request; number counts per repository from 1 and is never
-- reused (the next is the highest + 1, taken in the creating transaction).
CREATE TABLE builtin_pull_requests (
    repository text    NOT NULL,
    number     integer NOT NULL,
    head       text    NOT NULL,
    base       text    NOT NULL,
    head_sha   text    NOT NULL DEFAULT '',
    state      text    NOT NULL,
    merge_sha  text    NOT NULL DEFAULT '',
    merged_by  text    NOT NULL DEFAULT '',
    closed_by  text    NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (repository, number)
);

-- OpenPullRequest: the open one of a head branch.
CREATE INDEX builtin_pull_requests_head ON builtin_pull_requests (repository, head, state);

-- Approvals stand on the head they were given for: a new push to the branch
-- starts the count again, as hosts dismiss stale reviews. Approving twice is
-- one row.
CREATE TABLE builtin_approvals (
    repository text    NOT NULL,
    number     integer NOT NULL,
    head_sha   text    NOT NULL,
    actor      text    NOT NULL,
    at         timestamptz NOT NULL,
    seq        bigserial,
    PRIMARY KEY (repository, number, head_sha, actor)
);
