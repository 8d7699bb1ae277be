-- 0012_notification_events: notification events that are not a promotion's
-- change of state (a build report accepted or refused, a pin), and the
-- details an event carries beyond its promotion.
--
-- A released migration is never edited; change the schema with a new file.

-- NULL for an event about no promotion (a refused report, a pin).
ALTER TABLE notification_events ALTER COLUMN promotion_id DROP NOT NULL;
-- JSON: what the event names beyond its promotion (the reported image, tag,
-- digest and source of a report; who approved). '' for none.
ALTER TABLE notification_events ADD COLUMN detail text NOT NULL DEFAULT '';
