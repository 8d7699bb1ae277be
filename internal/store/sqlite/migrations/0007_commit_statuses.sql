-- 0007_commit_statuses: commit statuses posted to Ferry's API for the
-- health gate of repositories on plain Git servers (internal/scm/builtin).
--
-- A released migration is never edited; change the schema with a new file.

-- One row per report, as Git hosts keep them: the health gate measures
-- since when a state has held from the run of equal reports.
CREATE TABLE commit_statuses (
    repository   TEXT NOT NULL,
    sha          TEXT NOT NULL,
    context      TEXT NOT NULL,
    state        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    target_url   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    CHECK (state IN ('success', 'pending', 'failure', 'error'))
);

CREATE INDEX commit_statuses_commit ON commit_statuses (repository, sha);
