-- The cohort is the learner's path: deadline reminders and path notices ride the daily nudge.
--
-- One row per learner, cohort, course, kind and deadline, written in the same transaction as
-- the nudge's ledger row (before the request leaves) and pointing at it: the notice was
-- delivered as the nudge was (see nudge_ledger.status). The primary key makes each notice
-- happen once; a crash never doubles it, and a claim given back (the request never left)
-- deletes its notices with its ledger row. kinds:
--   week / day / overdue  reminders 7 days and 1 day before the deadline, and once after it
--   new                   the cohort got the course after the learner joined
--   moved                 the deadline changed from the one the learner knew ('' = removed)
--   seen                  silent: the course and deadline the learner knew when first seen
CREATE TABLE deadline_reminders (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cohort_id  BIGINT  NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    course_key TEXT    NOT NULL,
    kind       TEXT    NOT NULL
        CHECK (kind IN ('week', 'day', 'overdue', 'new', 'moved', 'seen')),
    deadline   TEXT    NOT NULL DEFAULT '',         -- local date 'YYYY-MM-DD', '' for none
    ledger_id  BIGINT  REFERENCES nudge_ledger (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,                    -- the learner's day it went out
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, cohort_id, course_key, kind, deadline)
);
CREATE INDEX deadline_reminders_ledger ON deadline_reminders (ledger_id);
