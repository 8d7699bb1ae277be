-- 0007_commit_statuses: commit statuses posted to Ferry's API for the
-- health gate of repositories on plain Git servers (internal/scm/builtin).
--
-- A released migration is never edited; change the schema with a new file.

-- One row per report, as Git hosts keep them: the health gate measures
-- since when a state has held from the run of equal reports.
CREATE TABLE commit_statuses (
    repository   text NOT NULL,
    sha          text NOT NULL,
    context      text NOT NULL,
    state        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    target_url   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    seq          bigserial,
    CHECK (state IN ('success', 'pending', 'failure', 'error'))
);

CREATE INDEX commit_statuses_commit ON commit_statuses (repository, sha);
