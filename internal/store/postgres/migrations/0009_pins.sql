-- 0009_pins: pins hold automatic promotions of an application into an
-- environment after a rollback, until someone unpins (issue 16).
--
-- A released migration is never edited; change the schema with a new file.

-- One row per pin, kept when it ends (unpinned, or replaced by a newer
-- pin): the ended rows are the pins' history. At most one pin of an
-- application and environment is active.
CREATE TABLE pins (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    application   text        NOT NULL,
    environment   text        NOT NULL,
    release_id    text COLLATE "C" NOT NULL REFERENCES releases (id),
    release_tag   text        NOT NULL DEFAULT '',
    promotion_id  text        NOT NULL DEFAULT '',
    pinned_by     text        NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    active        boolean     NOT NULL,
    ended_at      timestamptz NOT NULL,
    ended_by      text        NOT NULL DEFAULT '',
    end_reason    text        NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX pins_active ON pins (application, environment) WHERE active;
CREATE INDEX pins_app_env_created ON pins (application, environment, created_at, id);
CREATE INDEX pins_created ON pins (created_at, id);
