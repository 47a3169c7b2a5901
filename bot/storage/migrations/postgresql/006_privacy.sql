-- Privacy (UU No. 27 Tahun 2022), PostgreSQL twin of sqlite/006_privacy.sql: only anonymous
-- totals are left of an erased learner.
CREATE TABLE privacy_question_totals (
    course_key   TEXT    NOT NULL,
    lesson_key   TEXT    NOT NULL,
    question_key TEXT    NOT NULL,
    answers      BIGINT  NOT NULL DEFAULT 0,
    correct      BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (course_key, lesson_key, question_key)
);

CREATE TABLE privacy_lesson_totals (
    course_key  TEXT    NOT NULL,
    lesson_key  TEXT    NOT NULL,
    completions BIGINT  NOT NULL DEFAULT 0,
    minutes     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (course_key, lesson_key)
);

CREATE TABLE privacy_course_totals (
    course_key   TEXT    PRIMARY KEY,
    certificates BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE privacy_erasures (
    month  TEXT    NOT NULL,
    reason TEXT    NOT NULL CHECK (reason IN ('request', 'retention')),
    people BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (month, reason)
);

CREATE INDEX users_last_seen ON users (last_seen_at);
