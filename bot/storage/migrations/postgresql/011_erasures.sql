-- Erasure that stays erased (PostgreSQL twin of sqlite/011_erasures.sql): a keyed hash of each
-- erased Telegram id, so the bot can refuse to record the person again until they start anew.
CREATE TABLE privacy_key (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT    NOT NULL
);

CREATE TABLE privacy_tombstones (
    person_hash TEXT PRIMARY KEY,
    erased_on   TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('request', 'retention'))
);
