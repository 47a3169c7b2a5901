-- Groups that Telegram upgraded to a supergroup (PostgreSQL twin of
-- sqlite/007_chat_migration.sql).
CREATE TABLE chat_migrations (
    old_chat_id BIGINT  PRIMARY KEY,
    new_chat_id BIGINT  NOT NULL,
    migrated_at BIGINT  NOT NULL
);
CREATE INDEX chat_migrations_new ON chat_migrations (new_chat_id);
