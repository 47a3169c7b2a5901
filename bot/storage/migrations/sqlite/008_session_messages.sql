-- A learning session belongs to the message that shows it: a button press finds its session
-- by (chat, message), so callback data no longer carries a session id.
CREATE INDEX learning_sessions_message ON learning_sessions (chat_id, message_id)
    WHERE closed = 0;
