-- 0003_idempotency_lease: who holds an in-flight idempotency record, and
-- until when, so that a record whose process died is taken over within
-- seconds instead of after the longest request could last.
--
-- A released migration is never edited; change the schema with a new file.

-- Rows written before this migration keep the zero time, which the server
-- reads as "no lease: judge by age".
ALTER TABLE idempotency_keys ADD COLUMN owner       text        NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN lease_until timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';
