"""Uploaded course packs and their versions (every worker of one database sees them).

``course_packs`` holds what is live for everyone, one row per course key; ``course_versions``
every upload of a course (draft, trial on one cohort, published, retired, discarded);
``course_version_events`` who published, tried, discarded or restored which version, when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, from_epoch, to_epoch

#: States of a version that is waiting for a trainer's decision.
PENDING = ("draft", "trial")


@dataclass(frozen=True, slots=True)
class StoredPack:
    """A pack as a trainer uploaded it."""

    course_key: str
    content: str
    uploaded_at: int


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One upload of a course: its number within the course, content and state."""

    id: int
    course_key: str
    version: int
    content: str
    state: str            # draft | trial | published | retired | discarded
    cohort_id: int | None  # the cohort trying it (state trial)
    summary: str          # JSON: the diff against the version live at upload
    uploaded_by: int
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class VersionEvent:
    """One decision about a version: who, when, what."""

    course_key: str
    version: int          # 0: the shipped pack
    action: str           # publish | trial | discard | restore
    cohort_id: int | None
    cohort_name: str | None
    summary: str
    done_by: int
    done_by_name: str | None
    done_at: datetime


@dataclass(frozen=True, slots=True)
class Affected:
    """Learners whose progress in a course a new version touches (counts only)."""

    started: int          # have any progress in the course
    part_way: int         # started, not every live lesson completed
    completed_removed: int  # completed at least one lesson the new version removes


_VERSION = ("SELECT id, course_key, version, content, state, cohort_id, summary, uploaded_by,"
            " uploaded_at FROM course_versions")


def _version(row: Row) -> StoredVersion:
    at = from_epoch(row["uploaded_at"])
    assert at is not None
    return StoredVersion(row["id"], row["course_key"], row["version"], row["content"],
                         row["state"], row["cohort_id"], row["summary"], row["uploaded_by"],
                         at)


class _Decided(Exception):  # noqa: N818 - a rollback, not an error
    """Another decision about the version came first: undo this unit of work."""


class PackRepository:
    """The ``course_packs``, ``course_versions`` and ``course_version_events`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ live packs

    async def save(self, course_key: str, content: str, uploaded_by: int,
                   at: datetime) -> None:
        """Make a pack live for everyone, replacing the course's earlier one (one statement)."""
        await self.db.execute(
            "INSERT INTO course_packs (course_key, content, uploaded_by, uploaded_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (course_key) DO UPDATE SET"
            " content = excluded.content, uploaded_by = excluded.uploaded_by,"
            # A later upload always has a later time, even within one second, so a worker that
            # compares versions() sees every change.
            " uploaded_at = CASE WHEN excluded.uploaded_at > course_packs.uploaded_at"
            " THEN excluded.uploaded_at ELSE course_packs.uploaded_at + 1 END",
            (course_key, content, uploaded_by, to_epoch(at)))

    async def remove(self, course_key: str) -> None:
        """The course's shipped pack is live again (restoring version 0)."""
        await self.db.execute("DELETE FROM course_packs WHERE course_key = ?", (course_key,))

    async def add_missing(self, course_key: str, content: str, at: datetime) -> bool:
        """Store a pack unless the course already has one (importing an old packs folder);
        it becomes the course's version 1, published."""
        async with self.db.transaction():
            rows = await self.db.returning(
                "INSERT INTO course_packs (course_key, content, uploaded_by, uploaded_at)"
                " VALUES (?, ?, 0, ?) ON CONFLICT (course_key) DO NOTHING RETURNING course_key",
                (course_key, content, to_epoch(at)))
            if rows:
                version = await self.add_version(course_key, content, 0, at, "{}")
                await self.set_state(version.id, "published")
                await self.record(course_key, version.version, "publish", None, "{}", 0, at)
        return bool(rows)

    async def all(self) -> list[StoredPack]:
        """Every stored pack, by course key."""
        rows = await self.db.fetch_all(
            "SELECT course_key, content, uploaded_at FROM course_packs ORDER BY course_key")
        return [StoredPack(r["course_key"], r["content"], r["uploaded_at"]) for r in rows]

    async def versions(self) -> dict[tuple[str, int], int]:
        """(course key, 0) → upload time of each live pack, and (course key, cohort id) →
        version id of each trial: cheap enough to ask every few seconds."""
        rows = await self.db.fetch_all(
            "SELECT course_key, 0 AS cohort_id, uploaded_at AS stamp FROM course_packs"
            " UNION ALL SELECT course_key, cohort_id, id AS stamp FROM course_versions"
            " WHERE state = 'trial'")
        return {(r["course_key"], r["cohort_id"]): r["stamp"] for r in rows}

    # ------------------------------------------------------------------ versions

    async def add_version(self, course_key: str, content: str, uploaded_by: int,
                          at: datetime, summary: str) -> StoredVersion:
        """Store an upload as the course's next version, a draft."""
        rows = await self.db.returning(
            "INSERT INTO course_versions (course_key, version, content, state, summary,"
            " uploaded_by, uploaded_at) VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1"
            " FROM course_versions WHERE course_key = ?), ?, 'draft', ?, ?, ?)"
            " RETURNING id, course_key, version, content, state, cohort_id, summary,"
            " uploaded_by, uploaded_at",
            (course_key, course_key, content, summary, uploaded_by, to_epoch(at)))
        return _version(rows[0])

    async def version(self, version_id: int) -> StoredVersion | None:
        """One version by its id."""
        row = await self.db.fetch_one(f"{_VERSION} WHERE id = ?", (version_id,))
        return _version(row) if row is not None else None

    async def numbered(self, course_key: str, version: int) -> StoredVersion | None:
        """The course's version with this number."""
        row = await self.db.fetch_one(f"{_VERSION} WHERE course_key = ? AND version = ?",
                                      (course_key, version))
        return _version(row) if row is not None else None

    async def in_state(self, course_key: str, states: tuple[str, ...]) -> StoredVersion | None:
        """The course's version in one of ``states`` (at most one is pending, one published)."""
        row = await self.db.fetch_one(
            f"{_VERSION} WHERE course_key = ? AND {self.db.dialect.in_list('state')}"
            " ORDER BY version DESC LIMIT 1", (course_key, self.db.list_param(list(states))))
        return _version(row) if row is not None else None

    async def trials(self) -> list[StoredVersion]:
        """Every version on trial, by course key."""
        rows = await self.db.fetch_all(f"{_VERSION} WHERE state = 'trial' ORDER BY course_key")
        return [_version(r) for r in rows]

    async def courses(self) -> list[str]:
        """The keys of every course that has an uploaded version."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT course_key FROM course_versions ORDER BY course_key")
        return [r["course_key"] for r in rows]

    async def set_state(self, version_id: int, state: str, cohort_id: int | None = None,
                        *, expect: tuple[str, ...] | None = None) -> bool:
        """Move a version to ``state`` (from one of ``expect``, when given): False if it was
        not in such a state any more (another trainer decided first)."""
        sql = "UPDATE course_versions SET state = ?, cohort_id = ? WHERE id = ?"
        params: tuple[object, ...] = (state, cohort_id, version_id)
        if expect is not None:
            sql += f" AND {self.db.dialect.in_list('state')}"
            params = (*params, self.db.list_param(list(expect)))
        return await self.db.execute(sql, params) == 1

    async def retire_published(self, course_key: str) -> None:
        """The course's published version is not live any more."""
        await self.db.execute(
            "UPDATE course_versions SET state = 'retired' WHERE course_key = ?"
            " AND state = 'published'", (course_key,))

    async def trial_cohorts_of(self, user_id: int) -> list[int]:
        """The cohorts of this learner that are trying a version of some course."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT v.cohort_id FROM course_versions v JOIN cohort_members m"
            " ON m.cohort_id = v.cohort_id WHERE v.state = 'trial' AND m.user_id = ?"
            " ORDER BY v.cohort_id", (user_id,))
        return [r["cohort_id"] for r in rows]

    async def affected(self, course_key: str, live_lessons: list[str],
                       removed: list[str]) -> Affected:
        """How many learners have progress in the course, how many are part-way (not every
        live lesson completed), how many completed a lesson in ``removed``."""
        in_list = self.db.dialect.in_list
        row = await self.db.fetch_one(
            "SELECT COUNT(*) AS started,"
            " COALESCE(SUM(CASE WHEN done < ? THEN 1 ELSE 0 END), 0) AS part_way,"
            " COALESCE(SUM(CASE WHEN gone > 0 THEN 1 ELSE 0 END), 0) AS completed_removed"
            " FROM (SELECT user_id,"
            f" SUM(CASE WHEN completed_at IS NOT NULL AND {in_list('lesson_key')}"
            " THEN 1 ELSE 0 END) AS done,"
            f" SUM(CASE WHEN completed_at IS NOT NULL AND {in_list('lesson_key')}"
            " THEN 1 ELSE 0 END) AS gone"
            " FROM lesson_progress WHERE course_key = ? GROUP BY user_id) per_learner",
            (len(live_lessons), self.db.list_param(live_lessons), self.db.list_param(removed),
             course_key))
        assert row is not None
        return Affected(int(row["started"]), int(row["part_way"]),
                        int(row["completed_removed"]))

    # ------------------------------------------------------------------ decisions
    # Each is one unit of work: the version's state, the live pack and the record together.

    async def add_draft(self, course_key: str, content: str, uploaded_by: int, at: datetime,
                        summary: str, replaced_summary: str
                        ) -> tuple[StoredVersion, StoredVersion | None]:
        """Store an upload as the course's next version, a draft; a pending version of the
        course is discarded (recorded with ``replaced_summary``). The new one and the old."""
        async with self.db.transaction():
            old = await self.in_state(course_key, PENDING)
            if old is not None:
                await self.set_state(old.id, "discarded")
            new = await self.add_version(course_key, content, uploaded_by, at, summary)
            if old is not None:
                await self.record(course_key, old.version, "discard", old.cohort_id,
                                  replaced_summary, uploaded_by, at)
        return new, old

    async def publish(self, version: StoredVersion, by: int, at: datetime,
                      summary: str) -> bool:
        """Make a pending version the live one for everyone; False if it is not pending."""
        try:
            async with self.db.transaction():
                await self.retire_published(version.course_key)
                if not await self.set_state(version.id, "published", expect=PENDING):
                    raise _Decided
                await self.save(version.course_key, version.content, by, at)
                await self.record(version.course_key, version.version, "publish", None,
                                  summary, by, at)
        except _Decided:
            return False
        return True

    async def start_trial(self, version: StoredVersion, cohort_id: int, by: int, at: datetime,
                          summary: str) -> bool:
        """Let one cohort try a pending version; False if it is not pending."""
        async with self.db.transaction():
            if not await self.set_state(version.id, "trial", cohort_id, expect=PENDING):
                return False
            await self.record(version.course_key, version.version, "trial", cohort_id,
                              summary, by, at)
        return True

    async def discard(self, version: StoredVersion, by: int, at: datetime,
                      summary: str) -> bool:
        """Drop a pending version (it stays, discarded); False if it is not pending."""
        async with self.db.transaction():
            if not await self.set_state(version.id, "discarded", expect=PENDING):
                return False
            await self.record(version.course_key, version.version, "discard",
                              version.cohort_id, summary, by, at)
        return True

    async def restore(self, course_key: str, target: StoredVersion | None, by: int,
                      at: datetime, summary: str) -> None:
        """Make an earlier version live again (None: the shipped pack)."""
        async with self.db.transaction():
            await self.retire_published(course_key)
            if target is None:
                await self.remove(course_key)
            else:
                await self.set_state(target.id, "published")
                await self.save(course_key, target.content, by, at)
            await self.record(course_key, target.version if target is not None else 0,
                              "restore", None, summary, by, at)

    # ------------------------------------------------------------------ history

    async def record(self, course_key: str, version: int, action: str, cohort_id: int | None,
                     summary: str, done_by: int, at: datetime) -> None:
        """Write down a decision (inside the unit of work that made it)."""
        await self.db.write(
            "INSERT INTO course_version_events (course_key, version, action, cohort_id,"
            " summary, done_by, done_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (course_key, version, action, cohort_id, summary, done_by, to_epoch(at)))

    async def live_sequence(self, course_key: str) -> list[int]:
        """The versions the course went live with, the latest first (publish and restore)."""
        rows = await self.db.fetch_all(
            "SELECT version FROM course_version_events WHERE course_key = ?"
            " AND action IN ('publish', 'restore') ORDER BY id DESC", (course_key,))
        return [r["version"] for r in rows]

    async def history(self, course_key: str, limit: int) -> list[VersionEvent]:
        """The course's latest decisions, newest first, with who made them."""
        rows = await self.db.fetch_all(
            "SELECT e.course_key, e.version, e.action, e.cohort_id, c.name AS cohort_name,"
            " e.summary, e.done_by, u.first_name AS done_by_name, e.done_at"
            " FROM course_version_events e LEFT JOIN users u ON u.id = e.done_by"
            " LEFT JOIN cohorts c ON c.id = e.cohort_id WHERE e.course_key = ?"
            " ORDER BY e.id DESC LIMIT ?", (course_key, limit))
        events = []
        for r in rows:
            at = from_epoch(r["done_at"])
            assert at is not None
            events.append(VersionEvent(r["course_key"], r["version"], r["action"],
                                       r["cohort_id"], r["cohort_name"], r["summary"],
                                       r["done_by"], r["done_by_name"], at))
        return events
