-- Trainer tools: roles, one-time trainer invites, cohorts with invite codes, pending trainer
-- inputs, broadcasts with one row per recipient.
--
-- Admins are not stored: they come from settings.access.admin_ids and always count as trainers.

CREATE TABLE roles (
    user_id    INTEGER PRIMARY KEY,                -- Telegram user id
    role       TEXT    NOT NULL CHECK (role IN ('trainer')),
    granted_by INTEGER NOT NULL,
    granted_at INTEGER NOT NULL
);

-- One-time links https://t.me/<bot>?start=t_<code>: the first user who opens one becomes trainer.
CREATE TABLE trainer_invites (
    code       TEXT    PRIMARY KEY,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    used_by    INTEGER,
    used_at    INTEGER
);

CREATE TABLE cohorts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    invite_code   TEXT    NOT NULL UNIQUE,          -- 'c_' + 10 of A-Za-z0-9, the /start payload
    created_by    INTEGER NOT NULL,
    archived      INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    group_chat_id INTEGER,                          -- the linked discussion group, if any
    created_at    INTEGER NOT NULL
);
CREATE INDEX cohorts_group ON cohorts (group_chat_id) WHERE group_chat_id IS NOT NULL;

CREATE TABLE cohort_courses (
    cohort_id  INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    course_key TEXT    NOT NULL,
    deadline   TEXT,                                -- local date 'YYYY-MM-DD', optional
    PRIMARY KEY (cohort_id, course_key)
);

CREATE TABLE cohort_members (
    cohort_id INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_members_user ON cohort_members (user_id);

-- What a trainer's next free-text message (or file) answers: a cohort name, a deadline, the
-- content of a broadcast draft, a course pack. Kept here, not in memory, so a restart between
-- the question and the answer loses nothing.
CREATE TABLE trainer_prompts (
    user_id    INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    ref        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    created_by          INTEGER NOT NULL,
    lang                TEXT    NOT NULL DEFAULT 'id',   -- the trainer's language, for reports
    audience_kind       TEXT CHECK (audience_kind IN ('everyone', 'cohort', 'group')),
    audience_ref        INTEGER,                         -- the cohort id (cohort, group)
    content_kind        TEXT CHECK (content_kind IN ('text', 'lesson', 'photo', 'document')),
    text                TEXT,                            -- Telegram HTML: the text or caption
    course_key          TEXT,
    lesson_key          TEXT,
    file_id             TEXT,
    state               TEXT    NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    scheduled_at        INTEGER,
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    created_at          INTEGER NOT NULL,
    started_at          INTEGER,
    finished_at         INTEGER,
    uncertain_reported  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX broadcasts_state ON broadcasts (state, scheduled_at);
CREATE INDEX broadcasts_creator ON broadcasts (created_by, state);

-- One row per recipient. 'sending' is written before the request and 'sent' (with the message
-- id) after it, so a row still 'sending' after a crash may or may not have arrived: it becomes
-- 'uncertain' and is reported, never resent.
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL,
    user_id      INTEGER,                          -- NULL for a group chat
    state        TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'uncertain',
                         'cancelled')),
    message_id   INTEGER,
    error        TEXT,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_recipients_state ON broadcast_recipients (broadcast_id, state);
