-- Course versions: an upload becomes a draft, nothing live changes until a trainer publishes
-- it for everyone or tries it on one cohort; past versions stay, so the previous one can be
-- restored. `course_packs` keeps what is live for everyone (one row per course, read by every
-- worker's refresh); `course_versions` keeps every upload of a course, numbered per course
-- from 1 (0 is the shipped pack, never stored). At most one pending version (a draft, or a
-- trial on one cohort) and one published version per course.
CREATE TABLE course_versions (
    id           INTEGER PRIMARY KEY,
    course_key   TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    content      TEXT    NOT NULL,                -- the TOML as uploaded (UTF-8)
    state        TEXT    NOT NULL,                -- draft | trial | published | retired | discarded
    cohort_id    INTEGER,                         -- the cohort trying it (state trial)
    summary      TEXT    NOT NULL DEFAULT '{}',   -- JSON: the diff against the live version at upload
    uploaded_by  INTEGER NOT NULL,
    uploaded_at  INTEGER NOT NULL,                -- epoch seconds UTC
    UNIQUE (course_key, version)
);
CREATE UNIQUE INDEX course_versions_pending ON course_versions (course_key)
    WHERE state IN ('draft', 'trial');
CREATE UNIQUE INDEX course_versions_live ON course_versions (course_key)
    WHERE state = 'published';

-- Who did what to which version, when: publish, trial, discard, restore (version 0: the
-- shipped pack). The publish and restore rows also say which version was live before which.
CREATE TABLE course_version_events (
    id          INTEGER PRIMARY KEY,
    course_key  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    action      TEXT    NOT NULL,                 -- publish | trial | discard | restore
    cohort_id   INTEGER,                          -- the cohort of a trial
    summary     TEXT    NOT NULL DEFAULT '{}',    -- JSON: the diff it brought (or took back)
    done_by     INTEGER NOT NULL,
    done_at     INTEGER NOT NULL                  -- epoch seconds UTC
);
CREATE INDEX course_version_events_course ON course_version_events (course_key, id);

-- Packs uploaded before versions existed are each course's version 1, published.
INSERT INTO course_versions (course_key, version, content, state, uploaded_by, uploaded_at)
SELECT course_key, 1, content, 'published', uploaded_by, uploaded_at FROM course_packs;
INSERT INTO course_version_events (course_key, version, action, done_by, done_at)
SELECT course_key, 1, 'publish', uploaded_by, uploaded_at FROM course_packs;
