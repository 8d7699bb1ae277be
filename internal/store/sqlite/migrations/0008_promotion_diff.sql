-- 0008_promotion_diff: the diff each promotion applied.
--
-- A released migration is never edited; change the schema with a new file.

-- The unified diff of the promotion's edit of its target file, bounded by
-- the engine (16 KiB, truncated with a note); '' before it is committed and
-- for promotions recorded before this migration.
ALTER TABLE promotions ADD COLUMN diff TEXT NOT NULL DEFAULT '';
