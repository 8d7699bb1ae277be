-- 0003_idempotency_lease: who holds an in-flight idempotency record, and
-- until when, so that a record whose process died is taken over within
-- seconds instead of after the longest request could last.
--
-- A released migration is never edited; change the schema with a new file.

-- lease_until is in Unix microseconds like every time here; rows written
-- before this migration keep the zero time (-62135596800000000), which the
-- server reads as "no lease: judge by age".
ALTER TABLE idempotency_keys ADD COLUMN owner       TEXT    NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN lease_until INTEGER NOT NULL DEFAULT -62135596800000000;
