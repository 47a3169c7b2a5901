-- Cohorts that steer the programme: a cohort's courses form the members' path, in the order
-- the trainer set (`position`), each from the day it was assigned (`assigned_at`, epoch
-- seconds UTC; NULL for rows older than this migration). Turning a course off keeps its row
-- (and its deadline) with active = 0, so turning it on again brings the deadline back.
ALTER TABLE cohort_courses ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cohort_courses ADD COLUMN assigned_at INTEGER;
ALTER TABLE cohort_courses ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
