-- Users and chats: who talks to the bot, and where. (PostgreSQL twin of sqlite/001_init.sql:
-- the same tables and columns in the same order; ids and epochs are BIGINT.)
CREATE TABLE users (
    id                BIGINT  PRIMARY KEY,          -- Telegram user id
    first_name        TEXT    NOT NULL DEFAULT '',
    last_name         TEXT,
    username          TEXT,
    telegram_language TEXT,                         -- language_code as Telegram reports it
    language          TEXT CHECK (language IN ('id', 'en')),  -- chosen by the learner
    display_name      TEXT,                         -- the name printed on certificates
    unit              TEXT,                         -- unit kerja / OPD / kelurahan
    timezone          TEXT    NOT NULL,
    start_payload     TEXT,                         -- deep-link payload kept for invites
    onboarding_step   TEXT,                         -- NULL once onboarding is done
    onboarded_at      BIGINT,
    is_active         BIGINT  NOT NULL DEFAULT 1,   -- 0 after the user blocked the bot
    created_at        BIGINT  NOT NULL,
    last_seen_at      BIGINT  NOT NULL
);

CREATE TABLE chats (
    id          BIGINT  PRIMARY KEY,                -- Telegram chat id
    type        TEXT    NOT NULL,                   -- private, group, supergroup, channel
    title       TEXT,
    is_forum    BIGINT  NOT NULL DEFAULT 0,
    language    TEXT CHECK (language IN ('id', 'en')),
    bot_status  TEXT,                               -- the bot's membership status
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
