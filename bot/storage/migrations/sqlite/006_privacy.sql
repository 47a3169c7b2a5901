-- Privacy (UU No. 27 Tahun 2022): what is left of a learner after their data is erased, on
-- request (/deleteme) or by the retention purge. Only anonymous totals: no user id, no date
-- finer than a month, nothing that points back to one person.

-- Scored answers per question (first answers only, as the stats count them).
CREATE TABLE privacy_question_totals (
    course_key   TEXT    NOT NULL,
    lesson_key   TEXT    NOT NULL,
    question_key TEXT    NOT NULL,
    answers      INTEGER NOT NULL DEFAULT 0,
    correct      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (course_key, lesson_key, question_key)
) WITHOUT ROWID;

-- Completed lessons and the minutes credited for them.
CREATE TABLE privacy_lesson_totals (
    course_key  TEXT    NOT NULL,
    lesson_key  TEXT    NOT NULL,
    completions INTEGER NOT NULL DEFAULT 0,
    minutes     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (course_key, lesson_key)
) WITHOUT ROWID;

-- Certificates issued per course (the certificates themselves are deleted).
CREATE TABLE privacy_course_totals (
    course_key   TEXT    PRIMARY KEY,
    certificates INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- How many people were erased, per month and why: the operator's record of compliance.
CREATE TABLE privacy_erasures (
    month  TEXT    NOT NULL,                        -- 'YYYY-MM' (UTC)
    reason TEXT    NOT NULL CHECK (reason IN ('request', 'retention')),
    people INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, reason)
) WITHOUT ROWID;

-- The retention purge looks for learners not seen since a cut-off.
CREATE INDEX users_last_seen ON users (last_seen_at);
