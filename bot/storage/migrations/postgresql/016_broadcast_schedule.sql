-- Real scheduling of broadcasts (issue 15); the twin of the SQLite migration, which explains
-- each column (audience_course rides the 'cohort' audience kind on both engines).
ALTER TABLE broadcasts ADD COLUMN urgent BIGINT NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1));
ALTER TABLE broadcasts ADD COLUMN audience_course TEXT;
ALTER TABLE broadcast_recipients ADD COLUMN held_until BIGINT;
