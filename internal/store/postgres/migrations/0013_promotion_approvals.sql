-- 0013_promotion_approvals: every approval of a promotion's pull request.
--
-- A released migration is never edited; change the schema with a new file.

-- The approvals the host (or Ferry's built-in review) last reported on the
-- promotion's pull request, counted or not, with why not: a JSON array of
-- {"user","counted","reason"}; '' when none were seen and for promotions
-- recorded before this migration.
ALTER TABLE promotions ADD COLUMN approvals TEXT NOT NULL DEFAULT '';
