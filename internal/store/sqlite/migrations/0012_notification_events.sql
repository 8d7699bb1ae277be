-- 0012_notification_events: notification events that are not a promotion's
-- change of state (a build report accepted or refused, a pin), and the
-- details an event carries beyond its promotion.
--
-- A released migration is never edited; change the schema with a new file.

-- SQLite cannot drop a NOT NULL in place: notification_events is rebuilt
-- with promotion_id nullable. notification_deliveries refers to it, and
-- with foreign keys on a referenced table cannot be dropped while rows
-- refer to it, so the deliveries wait in a copy meanwhile.
CREATE TABLE notification_deliveries_copy AS SELECT * FROM notification_deliveries;
DROP TABLE notification_deliveries;

CREATE TABLE notification_events_new (
    id           TEXT    NOT NULL PRIMARY KEY,
    -- NULL for an event about no promotion (a refused report, a pin).
    promotion_id TEXT    REFERENCES promotions (id),
    application  TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    actor        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'new',
    -- JSON: what the event names beyond its promotion (the reported image,
    -- tag, digest and source of a report; who approved). '' for none.
    detail       TEXT    NOT NULL DEFAULT ''
);
INSERT INTO notification_events_new (id, promotion_id, application, environment, kind, at, actor, reason, status)
    SELECT id, promotion_id, application, environment, kind, at, actor, reason, status FROM notification_events;
DROP TABLE notification_events;
ALTER TABLE notification_events_new RENAME TO notification_events;
CREATE INDEX notification_events_undispatched ON notification_events (at, id) WHERE status = 'new';

CREATE TABLE notification_deliveries (
    id              TEXT    NOT NULL PRIMARY KEY,
    event_id        TEXT    NOT NULL REFERENCES notification_events (id),
    destination     TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT -62135596800000000,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
INSERT INTO notification_deliveries SELECT * FROM notification_deliveries_copy;
DROP TABLE notification_deliveries_copy;
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notification_deliveries_list ON notification_deliveries (created_at, id);
