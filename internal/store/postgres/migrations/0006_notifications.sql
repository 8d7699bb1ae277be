-- 0006_notifications: the notification outbox and its deliveries.
--
-- A released migration is never edited; change the schema with a new file.

-- One row per change of a promotion's state, written in the transaction that
-- changes it: an event is recorded exactly when the change is. status turns
-- from 'new' to 'dispatched' once a delivery row exists for every
-- destination it goes to.
CREATE TABLE notification_events (
    id           text        NOT NULL PRIMARY KEY,
    promotion_id text        NOT NULL REFERENCES promotions (id),
    application  text        NOT NULL,
    environment  text        NOT NULL,
    kind         text        NOT NULL,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL DEFAULT '',
    reason       text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'new'
);
CREATE INDEX notification_events_undispatched ON notification_events (at, id) WHERE status = 'new';

-- One row per event and destination; id is stable (derived from both), so a
-- receiver dedupes on it. state: pending, delivered, dead.
CREATE TABLE notification_deliveries (
    id              text        NOT NULL PRIMARY KEY,
    event_id        text        NOT NULL REFERENCES notification_events (id),
    destination     text        NOT NULL,
    state           text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text        NOT NULL DEFAULT '',
    lease_until     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notification_deliveries_list ON notification_deliveries (created_at, id);
