"""Uploaded course packs, one row per course key (every worker of one database sees them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, to_epoch


@dataclass(frozen=True, slots=True)
class StoredPack:
    """A pack as a trainer uploaded it."""

    course_key: str
    content: str
    uploaded_at: int


class PackRepository:
    """The ``course_packs`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, course_key: str, content: str, uploaded_by: int,
                   at: datetime) -> None:
        """Store a pack, replacing an earlier upload of the same course (one statement)."""
        await self.db.execute(
            "INSERT INTO course_packs (course_key, content, uploaded_by, uploaded_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (course_key) DO UPDATE SET"
            " content = excluded.content, uploaded_by = excluded.uploaded_by,"
            # A later upload always has a later time, even within one second, so a worker that
            # compares versions() sees every change.
            " uploaded_at = CASE WHEN excluded.uploaded_at > course_packs.uploaded_at"
            " THEN excluded.uploaded_at ELSE course_packs.uploaded_at + 1 END",
            (course_key, content, uploaded_by, to_epoch(at)))

    async def add_missing(self, course_key: str, content: str, at: datetime) -> bool:
        """Store a pack unless the course already has one (importing an old packs folder)."""
        rows = await self.db.returning(
            "INSERT INTO course_packs (course_key, content, uploaded_by, uploaded_at)"
            " VALUES (?, ?, 0, ?) ON CONFLICT (course_key) DO NOTHING RETURNING course_key",
            (course_key, content, to_epoch(at)))
        return bool(rows)

    async def all(self) -> list[StoredPack]:
        """Every stored pack, by course key."""
        rows = await self.db.fetch_all(
            "SELECT course_key, content, uploaded_at FROM course_packs ORDER BY course_key")
        return [StoredPack(r["course_key"], r["content"], r["uploaded_at"]) for r in rows]

    async def versions(self) -> dict[str, int]:
        """Course key → upload time: cheap enough to ask every few seconds."""
        rows = await self.db.fetch_all("SELECT course_key, uploaded_at FROM course_packs")
        return {r["course_key"]: r["uploaded_at"] for r in rows}
