-- Course packs uploaded by trainers live in the database, not in a folder beside it, so every
-- worker sharing one database sees the same packs (PostgreSQL, several workers). One row per
-- course key: an upload of the same course replaces its row. The shipped packs are not here.
CREATE TABLE course_packs (
    course_key  TEXT    PRIMARY KEY,
    content     TEXT    NOT NULL,                 -- the TOML as uploaded (UTF-8)
    uploaded_by INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL
);
