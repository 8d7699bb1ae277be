-- 0006_notifications: the notification outbox and its deliveries.
--
-- A released migration is never edited; change the schema with a new file.

-- One row per change of a promotion's state, written in the transaction that
-- changes it: an event is recorded exactly when the change is. status turns
-- from 'new' to 'dispatched' once a delivery row exists for every
-- destination it goes to.
CREATE TABLE notification_events (
    id           TEXT    NOT NULL PRIMARY KEY,
    promotion_id TEXT    NOT NULL REFERENCES promotions (id),
    application  TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    actor        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'new'
);
CREATE INDEX notification_events_undispatched ON notification_events (at, id) WHERE status = 'new';

-- One row per event and destination; id is stable (derived from both), so a
-- receiver dedupes on it. state: pending, delivered, dead.
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
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notification_deliveries_list ON notification_deliveries (created_at, id);
