-- Real scheduling of broadcasts (issue 15).
--
-- urgent: the broadcast goes out at once, through the recipients' quiet hours.
-- audience_course: with audience_kind 'cohort', the audience is the cohort's members behind on
--   this course ("anggota yang tertinggal"), resolved when the broadcast starts sending (who is
--   behind changes), so a scheduled one has no recipient rows until then. It rides the
--   'cohort' kind because SQLite cannot widen audience_kind's CHECK without rebuilding the
--   table (whose recipients would be deleted by the cascade).
-- held_until: a pending recipient reached inside their quiet hours waits until then (UTC).
ALTER TABLE broadcasts ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1));
ALTER TABLE broadcasts ADD COLUMN audience_course TEXT;
ALTER TABLE broadcast_recipients ADD COLUMN held_until INTEGER;
