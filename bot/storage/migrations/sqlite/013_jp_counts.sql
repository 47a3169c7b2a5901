-- JP that counts (issue "JP that counts"): the learner's NIP, jabatan and institution as HR
-- names them; a course is complete only when its final evaluation is passed; certificates
-- carry the NIP, the score and the issuer, and can be revoked.

-- The NIP (18 digits, Perka BKN 22/2007) is unique across learners: a second learner typing a
-- NIP someone already holds is refused (the partial index allows any number of NULLs).
ALTER TABLE users ADD COLUMN nip TEXT;
ALTER TABLE users ADD COLUMN jabatan TEXT;
ALTER TABLE users ADD COLUMN institution TEXT;
CREATE UNIQUE INDEX users_nip ON users (nip) WHERE nip IS NOT NULL;

-- One final evaluation attempt (post-test). `plan` is the attempt's questions in the order
-- asked, each with the order its options are shown in (JSON: [[lesson, question, [option
-- ids]], ...]); answers refer to an option's identity (its index in the pack), not its place.
CREATE TABLE evaluation_attempts (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key  TEXT    NOT NULL,
    plan        TEXT    NOT NULL,
    pass_mark   INTEGER NOT NULL,                  -- percent, from the pack
    position    INTEGER NOT NULL DEFAULT 0,        -- the question on screen
    answered    INTEGER NOT NULL DEFAULT 0,        -- the question at `position` is answered
    correct     INTEGER NOT NULL DEFAULT 0,
    chat_id     INTEGER,
    message_id  INTEGER,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    score       INTEGER,                           -- percent, once finished
    passed      INTEGER                            -- 0 or 1, once finished
);
CREATE INDEX evaluation_attempts_user ON evaluation_attempts (user_id, course_key);
CREATE INDEX evaluation_attempts_message ON evaluation_attempts (chat_id, message_id);

CREATE TABLE evaluation_answers (
    attempt_id   INTEGER NOT NULL REFERENCES evaluation_attempts (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    lesson_key   TEXT    NOT NULL,
    question_key TEXT    NOT NULL,
    chosen       INTEGER NOT NULL,                 -- the option's identity (pack index)
    correct      INTEGER NOT NULL,
    answered_at  INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- A learner's result in a course: the best score, and (once passed) when. JP counts from the
-- local date of the first pass; the minutes are the course's lesson minutes credited then.
CREATE TABLE course_results (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    best_score INTEGER NOT NULL DEFAULT 0,         -- percent
    last_at    INTEGER NOT NULL,                   -- the latest attempt's end (cooldown)
    passed_at  INTEGER,
    passed_on  TEXT,                               -- local date 'YYYY-MM-DD' of the first pass
    started_on TEXT,                               -- local date of the first lesson
    minutes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, course_key)
);
CREATE INDEX course_results_passed ON course_results (passed_on);

-- What HR needs on a certificate, and revocation (the code then verifies as revoked).
ALTER TABLE certificates ADD COLUMN nip TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN score INTEGER;            -- percent; NULL before evaluations
ALTER TABLE certificates ADD COLUMN started_on TEXT;          -- local date of the first lesson
ALTER TABLE certificates ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN kind TEXT NOT NULL DEFAULT 'kursus';
ALTER TABLE certificates ADD COLUMN revoked_at INTEGER;
ALTER TABLE certificates ADD COLUMN revoked_reason TEXT;
ALTER TABLE certificates ADD COLUMN revoked_by INTEGER;

-- Fair quizzes: the options of a lesson quiz or review question are shown in an order drawn
-- per session from this seed (0 for sessions opened before it existed: pack order).
ALTER TABLE learning_sessions ADD COLUMN seed INTEGER NOT NULL DEFAULT 0;
