-- Group discussions: per-group settings, threads (forum topics or reply chains under an anchor
-- message), the posts in them, and the weekly prompt ledger.
--
-- Only message ids are kept for posts; their text only when privacy.store_discussion_text is on.
-- The detected language is kept either way (detection runs on the text before it is dropped).

CREATE TABLE discussion_groups (
    chat_id         INTEGER PRIMARY KEY REFERENCES chats (id) ON DELETE CASCADE,
    who_may_open    TEXT    NOT NULL DEFAULT 'members'
                            CHECK (who_may_open IN ('members', 'trainers')),
    language        TEXT    CHECK (language IN ('id', 'en')),   -- NULL: Indonesian
    welcome_sent_at INTEGER,                                    -- the one welcome message
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE discussion_threads (
    id                INTEGER PRIMARY KEY,
    chat_id           INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    message_thread_id INTEGER,                   -- forum topic id (never 1, the General topic)
    anchor_message_id INTEGER,                   -- the bot's opening message
    title             TEXT    NOT NULL,
    course_key        TEXT,                      -- set for a lesson's thread
    lesson_key        TEXT,
    opened_by         INTEGER REFERENCES users (id) ON DELETE SET NULL,  -- NULL: the bot
    state             TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    best_message_id   INTEGER,
    created_at        INTEGER NOT NULL,
    last_activity_at  INTEGER NOT NULL,
    closed_at         INTEGER,
    CHECK (message_thread_id IS NOT NULL OR anchor_message_id IS NOT NULL),
    CHECK (message_thread_id IS NULL OR message_thread_id <> 1)
);
-- One thread per lesson and group: a lesson prompt reuses it.
CREATE UNIQUE INDEX discussion_threads_lesson
    ON discussion_threads (chat_id, course_key, lesson_key) WHERE lesson_key IS NOT NULL;
CREATE UNIQUE INDEX discussion_threads_topic
    ON discussion_threads (chat_id, message_thread_id) WHERE message_thread_id IS NOT NULL;
CREATE UNIQUE INDEX discussion_threads_anchor
    ON discussion_threads (chat_id, anchor_message_id) WHERE anchor_message_id IS NOT NULL;
CREATE INDEX discussion_threads_open ON discussion_threads (chat_id, state, last_activity_at);

CREATE TABLE discussion_posts (
    id                  INTEGER PRIMARY KEY,
    thread_id           INTEGER NOT NULL REFERENCES discussion_threads (id) ON DELETE CASCADE,
    chat_id             INTEGER NOT NULL,
    message_id          INTEGER NOT NULL,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reply_to_message_id INTEGER,
    text                TEXT,                    -- NULL unless privacy.store_discussion_text
    language            TEXT CHECK (language IN ('id', 'en')),  -- NULL: too short or unsure
    created_at          INTEGER NOT NULL,
    UNIQUE (chat_id, message_id)
);
CREATE INDEX discussion_posts_thread ON discussion_posts (thread_id, user_id);
CREATE INDEX discussion_posts_user ON discussion_posts (user_id, thread_id);

-- At most one weekly prompt per group and ISO week: the row is written before the send and
-- marked after, so a restart never sends a second one.
CREATE TABLE discussion_weekly_prompts (
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    iso_week   TEXT    NOT NULL,                 -- e.g. '2026-W48' in the bot's time zone
    course_key TEXT,
    lesson_key TEXT,
    thread_id  INTEGER REFERENCES discussion_threads (id) ON DELETE SET NULL,
    state      TEXT    NOT NULL DEFAULT 'claimed'
                       CHECK (state IN ('claimed', 'sent', 'failed', 'nothing')),
    claimed_at INTEGER NOT NULL,
    sent_at    INTEGER,
    PRIMARY KEY (chat_id, iso_week)
);
