-- 0010_release_sets: release sets (issue 16.1).
--
-- A released migration is never edited; change the schema with a new file.

-- A set release: one release per member application, listed index for
-- index in applications and releases (JSON arrays of text).
CREATE TABLE release_sets (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    applications TEXT    NOT NULL DEFAULT '[]',
    releases     TEXT    NOT NULL DEFAULT '[]',
    reported_by  TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
-- Listing, newest first, unfiltered and by set.
CREATE INDEX release_sets_created ON release_sets (created_at, id);
CREATE INDEX release_sets_name_created ON release_sets (name, created_at, id);

-- The set release a promotion moves with; '' for one application's.
ALTER TABLE promotions ADD COLUMN set_release_id TEXT NOT NULL DEFAULT '';
CREATE INDEX promotions_set_created ON promotions (set_release_id, created_at, id);
