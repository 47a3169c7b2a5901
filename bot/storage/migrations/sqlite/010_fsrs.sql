-- FSRS replaces SM-2 (bot.learning.review, the `fsrs` package).
--
-- Existing items start from their current SM-2 interval; their answer history is not replayed.
-- A migration is plain SQL in one transaction on both engines, and a replay needs FSRS's
-- arithmetic; more to the point, starting from the interval keeps every learner's due dates
-- exactly as they were (no sudden pile of due items, none vanishing), and FSRS corrects the
-- estimate at the item's next review anyway. The history itself is kept: it is copied into
-- review_logs below, so the FSRS optimizer (or a later full replay) can use it.
--
-- Per item: stability = the SM-2 interval in days (at retention 0.9 an FSRS interval equals
-- the stability, so the item keeps its rhythm); difficulty = linear in the SM-2 ease, from
-- 2.1181 at ease 2.5 (never forgotten: the difficulty FSRS gives a card first rated Good) to
-- 10 at the ease floor 1.3 (forgotten again and again), clamped to FSRS's range 1-10; state =
-- Review (2); last review = the last SM-2 review, or the first answer that queued the item
-- (both are stored exactly, so no need to guess it as due_at - interval); due_at unchanged.

-- The learner's desired retention (0.85, 0.9 or 0.95 from /settings); NULL = the configured
-- default (settings.learning.review_retention).
ALTER TABLE users ADD COLUMN desired_retention REAL
    CHECK (desired_retention IS NULL OR (desired_retention > 0.5 AND desired_retention < 1));

ALTER TABLE review_items ADD COLUMN stability REAL;   -- days; NULL only for a card never rated
ALTER TABLE review_items ADD COLUMN difficulty REAL;  -- 1 (easy) .. 10 (hard)
-- fsrs.State: 1 learning, 2 review, 3 relearning. Sinau schedules without learning steps,
-- so a rated card is always in Review.
ALTER TABLE review_items ADD COLUMN fsrs_state INTEGER NOT NULL DEFAULT 2
    CHECK (fsrs_state IN (1, 2, 3));

UPDATE review_items SET
    stability = MAX(interval_days, 1),
    difficulty = MIN(10.0, MAX(1.0, 2.1181 + (2.5 - ease) * 6.5683)),
    last_reviewed_at = COALESCE(last_reviewed_at, created_at);

-- `lapses` stays (FSRS counts forgetting too: Again on a card in Review); the rest of SM-2 goes.
ALTER TABLE review_items DROP COLUMN repetitions;
ALTER TABLE review_items DROP COLUMN interval_days;
ALTER TABLE review_items DROP COLUMN ease;

-- Every rating given, for fsrs.Optimizer (a card is one learner's question). The state after
-- the review is what the scheduler computed; rows copied from the SM-2 era have only the
-- rating and its moment (all the optimizer needs).
CREATE TABLE review_logs (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_key     TEXT    NOT NULL,
    lesson_key     TEXT    NOT NULL,
    question_key   TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('lesson', 'review')),  -- lesson: 1st answer
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),        -- fsrs.Rating
    reviewed_at    INTEGER NOT NULL,
    elapsed_days   INTEGER,  -- whole days since the previous review (NULL: the first)
    retrievability REAL,     -- predicted recall just before the review (NULL: the first)
    stability      REAL,     -- after the review
    difficulty     REAL,
    fsrs_state     INTEGER,
    due_at         INTEGER,  -- the due moment it set (local midnight)
    retention      REAL      -- the desired retention it was scheduled with
);
CREATE INDEX review_logs_user ON review_logs (user_id, kind, reviewed_at);
CREATE INDEX review_logs_item ON review_logs (user_id, course_key, lesson_key, question_key);

INSERT INTO review_logs (user_id, course_key, lesson_key, question_key, kind, rating,
                         reviewed_at)
SELECT user_id, course_key, lesson_key, question_key, source,
       CASE WHEN correct = 1 THEN 3 ELSE 1 END, answered_at
  FROM quiz_answers
 WHERE source = 'review' OR (source = 'lesson' AND is_first = 1)
 ORDER BY answered_at, id;
