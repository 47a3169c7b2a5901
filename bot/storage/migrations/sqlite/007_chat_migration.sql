-- Groups that Telegram upgraded to a supergroup. The supergroup has a new chat id; the old
-- basic group is read-only from then on and every send to it fails. One row per old group,
-- written by the transaction that moves the group's state to the new id
-- (bot.storage.chat_migration). The old `chats` row stays, marked bot_status = 'migrated',
-- because the discussion history of the old group (threads, posts: their message ids belong
-- to the old chat) still points at it.
CREATE TABLE chat_migrations (
    old_chat_id INTEGER PRIMARY KEY,
    new_chat_id INTEGER NOT NULL,
    migrated_at INTEGER NOT NULL
);
CREATE INDEX chat_migrations_new ON chat_migrations (new_chat_id);
