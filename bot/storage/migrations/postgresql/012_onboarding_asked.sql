-- Learn first, ask later: onboarding no longer asks everything up front. The reminder time,
-- the work unit and the certificate name are asked when they matter, once each; this column
-- records which of them were asked (a comma-separated set of 'time', 'unit', 'name'), so a
-- learner who skipped or ignored a question is not asked it again.
ALTER TABLE users ADD COLUMN asked TEXT NOT NULL DEFAULT '';
