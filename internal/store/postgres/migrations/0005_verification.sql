-- 0005_verification: what the supply-chain check found when a release was
-- reported (signatures, provenance, when), as JSON text; '' when no
-- environment asked for one. A constant default: adding it rewrites nothing.
--
-- A released migration is never edited; change the schema with a new file.
ALTER TABLE releases ADD COLUMN verification text NOT NULL DEFAULT '';
