-- People and roles: an admin assigns trainers to cohorts (beyond the one who created it), so
-- with access.trainers_own_cohorts a trainer sees and steers exactly the cohorts they created
-- or were assigned to. Revoking the trainer role removes their assignments.
CREATE TABLE cohort_trainers (
    cohort_id   INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,                   -- the trainer (Telegram user id)
    assigned_by INTEGER NOT NULL,                   -- the admin who assigned them
    assigned_at INTEGER NOT NULL,                   -- epoch seconds UTC
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_trainers_user ON cohort_trainers (user_id);

-- An admin's user searches (/users): the result buttons carry the search's id and a page,
-- never the typed text (a name, an @username or a NIP does not fit, or belong, in callback
-- data). Kept a day, then replaced by newer ones; erased with the admin.
CREATE TABLE user_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,                    -- the admin who searched
    query      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX user_searches_user ON user_searches (user_id, created_at);
