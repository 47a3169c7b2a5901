-- Daily learning nudges: one schedule row per user, kept in step with `users` by triggers, and
-- a ledger with at most one row per learner and local day.
--
-- Other modules only change `users` (nudge_time, nudge_days, timezone, onboarded_at,
-- is_active); a trigger marks the schedule for re-planning and the scheduler's tick recomputes
-- next_due_at in a batch. That keeps "who is due now" an indexed range scan.

CREATE TABLE nudge_schedules (
    user_id           INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    stopped           INTEGER NOT NULL DEFAULT 0,   -- /stop_nudges until /resume
    paused_until      INTEGER,                      -- epoch; no nudge before this moment
    ignored_streak    INTEGER NOT NULL DEFAULT 0,   -- nudges sent since the learner's last update
    backoff_announced INTEGER NOT NULL DEFAULT 0,   -- the "I'll write less often" line was sent
    last_local_date   TEXT,                         -- local date of the latest handled occurrence
    last_sent_date    TEXT,                         -- local date of the latest nudge sent
    next_due_at       INTEGER,                      -- epoch UTC of the next nudge; NULL = none
    due_local_date    TEXT,                         -- the learner's local date at next_due_at
    needs_plan        INTEGER NOT NULL DEFAULT 1,   -- 1: next_due_at must be recomputed
    plan_version      INTEGER NOT NULL DEFAULT 0    -- bumped by every change to the inputs
);
CREATE INDEX nudge_schedules_due ON nudge_schedules (next_due_at)
    WHERE next_due_at IS NOT NULL;
CREATE INDEX nudge_schedules_replan ON nudge_schedules (user_id) WHERE needs_plan = 1;

INSERT INTO nudge_schedules (user_id) SELECT id FROM users;

CREATE TRIGGER users_nudge_schedule AFTER INSERT ON users
BEGIN
    INSERT OR IGNORE INTO nudge_schedules (user_id) VALUES (NEW.id);
END;

-- `touch` rewrites is_active on every update, so compare values, not the column list.
CREATE TRIGGER users_nudge_replan
AFTER UPDATE OF nudge_time, nudge_days, timezone, onboarded_at, is_active ON users
WHEN OLD.nudge_time IS NOT NEW.nudge_time OR OLD.nudge_days IS NOT NEW.nudge_days
    OR OLD.timezone IS NOT NEW.timezone OR OLD.onboarded_at IS NOT NEW.onboarded_at
    OR OLD.is_active IS NOT NEW.is_active
BEGIN
    UPDATE nudge_schedules SET needs_plan = 1, plan_version = plan_version + 1
     WHERE user_id = NEW.id;
END;

-- Any update from the learner answers the nudges before it: the back-off ends.
CREATE TRIGGER users_nudge_activity AFTER UPDATE OF last_seen_at ON users
WHEN NEW.last_seen_at > OLD.last_seen_at
BEGIN
    UPDATE nudge_schedules
       SET ignored_streak = 0, backoff_announced = 0,
           needs_plan = 1, plan_version = plan_version + 1
     WHERE user_id = NEW.id AND ignored_streak > 0;
END;

-- At most one nudge per learner and local day, across crashes: the row is written before the
-- send ('sending') and marked after it. A row still 'sending' after a crash is an uncertain
-- send; it is never repeated.
CREATE TABLE nudge_ledger (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date  TEXT    NOT NULL,                   -- the learner's day 'YYYY-MM-DD'
    kind        TEXT    NOT NULL DEFAULT 'nudge' CHECK (kind IN ('nudge', 'kept_note')),
    status      TEXT    NOT NULL CHECK (status IN (
                    'sending', 'sent', 'failed', 'blocked', 'uncertain',
                    'skipped_learned', 'missed')),
    reason      TEXT,                               -- missed: 'late' or 'quiet'; errors
    message_id  INTEGER,
    planned_at  INTEGER NOT NULL,                   -- the occurrence, epoch UTC
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    UNIQUE (user_id, local_date)
);
CREATE INDEX nudge_ledger_open ON nudge_ledger (created_at) WHERE status = 'sending';
CREATE INDEX nudge_ledger_day ON nudge_ledger (local_date, status);

-- Delivery counters per local day (the bot's zone) and kind of traffic, for the stats.
CREATE TABLE delivery_stats (
    day       TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    sent      INTEGER NOT NULL DEFAULT 0,
    skipped   INTEGER NOT NULL DEFAULT 0,
    blocked   INTEGER NOT NULL DEFAULT 0,
    retried   INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind)
) WITHOUT ROWID;
