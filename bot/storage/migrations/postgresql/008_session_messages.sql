-- A learning session belongs to the message that shows it (PostgreSQL twin of
-- sqlite/008_session_messages.sql).
CREATE INDEX learning_sessions_message ON learning_sessions (chat_id, message_id)
    WHERE closed = 0;
