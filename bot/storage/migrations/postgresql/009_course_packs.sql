-- Course packs uploaded by trainers (PostgreSQL twin of sqlite/009_course_packs.sql), and the
-- tables that let several workers share one database (PostgreSQL only; bot.cluster).
CREATE TABLE course_packs (
    course_key  TEXT    PRIMARY KEY,
    content     TEXT    NOT NULL,
    uploaded_by BIGINT  NOT NULL,
    uploaded_at BIGINT  NOT NULL
);

-- Webhook updates, accepted by whichever worker the load balancer chose and handled, in
-- update_id order per chat, by whichever worker holds the chat's advisory lock. A row stays
-- a while after it was handled, so a redelivered update (same update_id) is not handled twice.
CREATE TABLE inbox (
    update_id   BIGINT  PRIMARY KEY,
    chat_id     BIGINT  NOT NULL,                 -- the chat (the user, for poll answers)
    payload     TEXT    NOT NULL,                 -- the update's JSON; emptied once handled
    received_at DOUBLE PRECISION NOT NULL,        -- server clock, epoch seconds
    attempts    INTEGER NOT NULL DEFAULT 0,       -- times a worker started handling it
    handled_at  DOUBLE PRECISION                  -- NULL while waiting
);
CREATE INDEX inbox_waiting ON inbox (chat_id, update_id) WHERE handled_at IS NULL;
CREATE INDEX inbox_handled ON inbox (handled_at) WHERE handled_at IS NOT NULL;

-- One bot, one rate limit (bot.delivery.shared): every message any worker sends takes a slot
-- here first. Telegram counts per bot, so the window, the per-chat buckets and the group
-- windows are shared by all workers. UNLOGGED: losing it in a server crash only forgets the
-- last minute of sends. Times are the server's clock (epoch seconds), the same for everyone.
CREATE UNLOGGED TABLE flood_sends (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id     BIGINT,
    is_group    BOOLEAN NOT NULL DEFAULT false,
    released    DOUBLE PRECISION NOT NULL,        -- the slot was given
    answered    DOUBLE PRECISION                  -- the answer came back (NULL: in flight)
);
CREATE INDEX flood_sends_answered ON flood_sends (answered);
CREATE INDEX flood_sends_chat ON flood_sends (chat_id, released);

CREATE UNLOGGED TABLE flood_chats (
    chat_id BIGINT PRIMARY KEY,
    tokens  DOUBLE PRECISION NOT NULL,            -- per-chat token bucket
    stamp   DOUBLE PRECISION NOT NULL             -- when tokens was last brought up to date
);

CREATE UNLOGGED TABLE flood_clock (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_at   DOUBLE PRECISION NOT NULL,          -- releases are spaced evenly
    pruned_at DOUBLE PRECISION NOT NULL
);
INSERT INTO flood_clock VALUES (1, 0, 0);

-- Take a send slot, or say how long to wait. Mirrors bot.delivery.pacing for all workers
-- together: at most p_capacity sends in flight or answered within p_window, releases at
-- least p_interval apart, bulk sends leaving one slot of the window to replies; per chat a
-- token bucket (p_chat_rate, p_burst) refilled from the moment the last answer came back and
-- one send in flight at a time; per group at most p_group_cap within p_group_window.
-- Returns (0, slot ids, 'taken') when taken, else (seconds to wait, NULL, why): 'spacing' or
-- 'window' (the bot's limit: wait in line) or 'chat' (this chat's: others may go meanwhile).
CREATE FUNCTION flood_take(
    p_chat BIGINT, p_group INTEGER, p_bulk INTEGER, p_slots INTEGER,
    p_capacity INTEGER, p_window DOUBLE PRECISION, p_interval DOUBLE PRECISION,
    p_chat_rate DOUBLE PRECISION, p_burst DOUBLE PRECISION,
    p_group_cap INTEGER, p_group_window DOUBLE PRECISION, p_stale DOUBLE PRECISION,
    OUT wait DOUBLE PRECISION, OUT slots BIGINT[], OUT reason TEXT
) LANGUAGE plpgsql AS $$
DECLARE
    now_s   DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
    clock   flood_clock%ROWTYPE;
    used    INTEGER;
    room    INTEGER;
    oldest  DOUBLE PRECISION;
    bucket  flood_chats%ROWTYPE;
    tokens  DOUBLE PRECISION;
    busy    BOOLEAN;
    recent  INTEGER;
BEGIN
    slots := NULL;
    -- One taker at a time, all workers together.
    SELECT * INTO clock FROM flood_clock WHERE id = 1 FOR UPDATE;
    IF clock.pruned_at < now_s - 5 THEN
        DELETE FROM flood_sends
         WHERE answered < now_s - greatest(p_window, p_group_window) - 1
            OR (answered IS NULL AND released < now_s - p_stale);
        DELETE FROM flood_chats WHERE stamp < now_s - 600;
        UPDATE flood_clock SET pruned_at = now_s WHERE id = 1;
    END IF;
    IF now_s < clock.next_at THEN
        wait := clock.next_at - now_s;
        reason := 'spacing';
        RETURN;
    END IF;
    SELECT count(*) INTO used FROM flood_sends
     WHERE (answered IS NULL AND released > now_s - p_stale) OR answered > now_s - p_window;
    room := p_capacity - CASE WHEN p_bulk = 1 THEN 1 ELSE 0 END;
    IF used + p_slots > room THEN
        SELECT min(answered) INTO oldest FROM flood_sends WHERE answered > now_s - p_window;
        wait := CASE WHEN oldest IS NULL THEN 0.01 ELSE oldest + p_window - now_s END;
        wait := greatest(wait, 0.002);
        reason := 'window';
        RETURN;
    END IF;
    IF p_chat IS NOT NULL THEN
        SELECT EXISTS (SELECT 1 FROM flood_sends WHERE chat_id = p_chat AND answered IS NULL
                        AND released > now_s - p_stale) INTO busy;
        IF busy THEN
            wait := 0.01;  -- one send to a chat at a time
            reason := 'chat';
            RETURN;
        END IF;
        SELECT * INTO bucket FROM flood_chats WHERE chat_id = p_chat;
        tokens := CASE WHEN bucket.chat_id IS NULL THEN p_burst
                       ELSE least(p_burst, bucket.tokens + (now_s - bucket.stamp) * p_chat_rate)
                  END;
        IF tokens < 1 THEN
            wait := (1 - tokens) / p_chat_rate;
            reason := 'chat';
            RETURN;
        END IF;
        IF p_group = 1 THEN
            SELECT count(*), min(coalesce(answered, now_s)) INTO recent, oldest FROM (
                SELECT answered FROM flood_sends WHERE chat_id = p_chat
                   AND (answered IS NULL OR answered > now_s - p_group_window)
                 ORDER BY coalesce(answered, now_s) DESC LIMIT p_group_cap) AS latest;
            IF recent >= p_group_cap THEN
                wait := greatest(oldest + p_group_window - now_s, 0.01);
                reason := 'chat';
                RETURN;
            END IF;
        END IF;
        INSERT INTO flood_chats (chat_id, tokens, stamp) VALUES (p_chat, tokens - 1, now_s)
        ON CONFLICT (chat_id) DO UPDATE SET tokens = excluded.tokens, stamp = excluded.stamp;
    END IF;
    WITH taken AS (
        INSERT INTO flood_sends (chat_id, is_group, released)
        SELECT p_chat, p_group = 1, now_s FROM generate_series(1, p_slots)
        RETURNING id)
    SELECT array_agg(id) INTO slots FROM taken;
    UPDATE flood_clock SET next_at = greatest(clock.next_at + p_interval,
                                              now_s + p_interval * 0.75) WHERE id = 1;
    wait := 0;
    reason := 'taken';
END
$$;

-- The answer to a send came back: its window starts now, and its chat's bucket refills from
-- now (the server refilled between arrivals, so it has at least as many tokens as we think).
CREATE FUNCTION flood_done(p_slots BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    now_s DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
BEGIN
    UPDATE flood_sends SET answered = now_s WHERE id = ANY(p_slots) AND answered IS NULL;
    UPDATE flood_chats c SET stamp = now_s
      FROM flood_sends s WHERE s.id = ANY(p_slots) AND c.chat_id = s.chat_id;
END
$$;
