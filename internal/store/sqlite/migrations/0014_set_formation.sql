-- 0014_set_formation: how a set release formed (issue 16, the rest).
--
-- A released migration is never edited; change the schema with a new file.

-- 'reported': CI reported the set at once; 'members': Ferry formed it when
-- the last member's own promotion completed in the set's entry
-- environment, from each member's release completed there. Set releases
-- recorded before this migration were all reported.
ALTER TABLE release_sets ADD COLUMN formed TEXT NOT NULL DEFAULT 'reported';
-- Finding a set release with the same member releases (formation forms
-- each combination once).
CREATE INDEX release_sets_name_releases ON release_sets (name, releases);
