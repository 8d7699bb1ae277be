-- 0005_verification: what the supply-chain check found when a release was
-- reported (signatures, provenance, when), as JSON; '' when no environment
-- asked for one.
--
-- A released migration is never edited; change the schema with a new file.
ALTER TABLE releases ADD COLUMN verification TEXT NOT NULL DEFAULT '';
