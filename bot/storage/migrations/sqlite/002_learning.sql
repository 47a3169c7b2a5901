-- The learner journey: preferences, lesson progress, quiz answers, spaced review, streak days,
-- certificates and the interactive sessions behind lesson/quiz/review messages.
--
-- Progress is keyed by (course_key, lesson_key) from the course packs, never by position, so a
-- reloaded pack keeps the progress of every lesson whose key remains. Minutes are credited at
-- completion and stored, so JP earned stays earned when a lesson is later removed or shortened.

-- The course /learn continues; NULL until the learner picks one (the first open course is used).
ALTER TABLE users ADD COLUMN current_course TEXT;
-- Daily nudge time 'HH:MM' in the learner's zone; NULL = settings.learning.default_nudge_time.
-- Onboarding always writes it.
ALTER TABLE users ADD COLUMN nudge_time TEXT
    CHECK (nudge_time IS NULL OR nudge_time GLOB '[0-2][0-9]:[0-5][0-9]');
-- 'daily' or 'weekdays' (Monday-Friday).
ALTER TABLE users ADD COLUMN nudge_days TEXT NOT NULL DEFAULT 'daily'
    CHECK (nudge_days IN ('daily', 'weekdays'));

CREATE TABLE lesson_progress (
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key       TEXT    NOT NULL,
    lesson_key       TEXT    NOT NULL,
    furthest_card    INTEGER NOT NULL DEFAULT 0,     -- 0-based index of the furthest card seen
    cards_done       INTEGER NOT NULL DEFAULT 0,     -- 1 once the last card was reached
    started_at       INTEGER NOT NULL,
    completed_at     INTEGER,                        -- cards done and quiz answered
    completed_on     TEXT,                           -- local date of completion 'YYYY-MM-DD'
    minutes_credited INTEGER NOT NULL DEFAULT 0,     -- the lesson's minutes, credited once
    PRIMARY KEY (user_id, course_key, lesson_key)
);
CREATE INDEX lesson_progress_completed ON lesson_progress (user_id, completed_on);

CREATE TABLE quiz_answers (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key   TEXT    NOT NULL,
    lesson_key   TEXT    NOT NULL,
    question_key TEXT    NOT NULL,
    chosen       INTEGER NOT NULL,
    correct      INTEGER NOT NULL CHECK (correct IN (0, 1)),
    is_first     INTEGER NOT NULL CHECK (is_first IN (0, 1)),  -- the answer that is scored
    source       TEXT    NOT NULL CHECK (source IN ('lesson', 'review')),
    answered_at  INTEGER NOT NULL
);
-- At most one scored answer per learner and question: later answers are practice.
CREATE UNIQUE INDEX quiz_answers_first
    ON quiz_answers (user_id, course_key, lesson_key, question_key) WHERE is_first = 1;
CREATE INDEX quiz_answers_user ON quiz_answers (user_id, is_first);

-- SM-2 state per learner and question.
CREATE TABLE review_items (
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key       TEXT    NOT NULL,
    lesson_key       TEXT    NOT NULL,
    question_key     TEXT    NOT NULL,
    repetitions      INTEGER NOT NULL DEFAULT 0,
    interval_days    INTEGER NOT NULL DEFAULT 0,
    ease             REAL    NOT NULL DEFAULT 2.5,
    lapses           INTEGER NOT NULL DEFAULT 0,
    due_at           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    last_reviewed_at INTEGER,
    PRIMARY KEY (user_id, course_key, lesson_key, question_key)
);
CREATE INDEX review_items_due ON review_items (user_id, due_at);

-- Days (in the learner's zone) on which they finished a lesson or a review item.
CREATE TABLE activity_days (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    lessons    INTEGER NOT NULL DEFAULT 0,
    reviews    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, local_date)
);

-- One certificate per learner and course; the printed values are frozen at issue.
CREATE TABLE certificates (
    code         TEXT    PRIMARY KEY,               -- e.g. SNU-7K3Q-9XPD, stored upper case
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key   TEXT    NOT NULL,
    course_title TEXT    NOT NULL,                  -- as printed
    name         TEXT    NOT NULL,
    unit         TEXT    NOT NULL DEFAULT '',
    minutes      INTEGER NOT NULL,
    completed_on TEXT    NOT NULL,                  -- local date 'YYYY-MM-DD'
    language     TEXT    NOT NULL,
    issued_at    INTEGER NOT NULL,
    UNIQUE (user_id, course_key)
);

-- What an interactive message shows. Callback data carries the session id and a position; a
-- press counts only when it comes from the session's owner, on the session's message, at the
-- session's current position.
CREATE TABLE learning_sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('lesson', 'quiz', 'review')),
    course_key   TEXT    NOT NULL,
    lesson_key   TEXT    NOT NULL,
    question_key TEXT,                              -- review sessions: the item shown
    position     INTEGER NOT NULL DEFAULT 0,        -- card or question index
    answered     INTEGER NOT NULL DEFAULT 0,        -- the question at `position` is answered
    correct      INTEGER NOT NULL DEFAULT 0,        -- right answers in this session
    parent_id    INTEGER,                           -- quiz: the lesson session it came from
    chat_id      INTEGER,
    message_id   INTEGER,
    closed       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX learning_sessions_user ON learning_sessions (user_id, kind, closed);
CREATE INDEX learning_sessions_parent ON learning_sessions (parent_id);

-- Native quiz polls: which session question a poll asks (poll_answer carries only the poll id).
CREATE TABLE quiz_polls (
    poll_id    TEXT    PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES learning_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX quiz_polls_session ON quiz_polls (session_id);
