"""The spaced-review queue: SM-2 state and due time per learner and question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, epoch_of, from_epoch, to_epoch


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question in a learner's review queue."""

    user_id: int
    course_key: str
    lesson_key: str
    question_key: str
    repetitions: int
    interval_days: int
    ease: float
    lapses: int
    due_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ReviewItem:
        """Build from a ``review_items`` row."""
        return cls(
            user_id=row["user_id"],
            course_key=row["course_key"],
            lesson_key=row["lesson_key"],
            question_key=row["question_key"],
            repetitions=row["repetitions"],
            interval_days=row["interval_days"],
            ease=row["ease"],
            lapses=row["lapses"],
            due_at=epoch_of(row["due_at"]),
        )


class ReviewRepository:
    """Reads and writes ``review_items``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str
    ) -> ReviewItem | None:
        """The item for one question, if it is in the queue."""
        row = await self._db.fetch_one(
            "SELECT * FROM review_items WHERE user_id = ? AND course_key = ? AND lesson_key = ?"
            " AND question_key = ?",
            (user_id, course_key, lesson_key, question_key),
        )
        return None if row is None else ReviewItem.from_row(row)

    async def save(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str, *,
        repetitions: int, interval_days: int, ease: float, lapses: int, due_at: datetime,
        now: datetime, reviewed: bool,
    ) -> None:
        """Insert or replace an item's scheduling state."""
        await self._db.write(
            """
            INSERT INTO review_items (user_id, course_key, lesson_key, question_key, repetitions,
                                      interval_days, ease, lapses, due_at, created_at,
                                      last_reviewed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key, lesson_key, question_key) DO UPDATE SET
                repetitions = excluded.repetitions, interval_days = excluded.interval_days,
                ease = excluded.ease, lapses = excluded.lapses, due_at = excluded.due_at,
                last_reviewed_at = COALESCE(excluded.last_reviewed_at,
                                            review_items.last_reviewed_at)
            """,
            (user_id, course_key, lesson_key, question_key, repetitions, interval_days, ease,
             lapses, to_epoch(due_at), to_epoch(now), to_epoch(now) if reviewed else None),
        )

    async def start(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str, *,
        repetitions: int, interval_days: int, ease: float, lapses: int, due_at: datetime,
        now: datetime,
    ) -> None:
        """Put a question into the queue unless it is there already (a first answer does)."""
        await self._db.write(
            """
            INSERT INTO review_items (user_id, course_key, lesson_key, question_key, repetitions,
                                      interval_days, ease, lapses, due_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key, lesson_key, question_key) DO NOTHING
            """,
            (user_id, course_key, lesson_key, question_key, repetitions, interval_days, ease,
             lapses, to_epoch(due_at), to_epoch(now)),
        )

    async def due(self, user_id: int, now: datetime,
                  limit: int = 20) -> tuple[list[ReviewItem], int]:
        """Items due at ``now``, oldest due first, and how many are due in all."""
        rows = await self._db.fetch_all(
            "SELECT *, COUNT(*) OVER () AS due_total FROM review_items"
            " WHERE user_id = ? AND due_at <= ?"
            " ORDER BY due_at, created_at, course_key, lesson_key, question_key LIMIT ?",
            (user_id, to_epoch(now), limit),
        )
        total = int(rows[0]["due_total"]) if rows else 0
        return [ReviewItem.from_row(r) for r in rows], total

    async def count_due(self, user_id: int, now: datetime) -> int:
        """How many items are due at ``now``."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM review_items WHERE user_id = ? AND due_at <= ?",
            (user_id, to_epoch(now)),
        )
        return int(value or 0)

    async def next_due_at(self, user_id: int, now: datetime) -> datetime | None:
        """When the next item after ``now`` falls due, if any."""
        value = await self._db.fetch_value(
            "SELECT MIN(due_at) FROM review_items WHERE user_id = ? AND due_at > ?",
            (user_id, to_epoch(now)),
        )
        return from_epoch(value)

    async def delete(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str
    ) -> None:
        """Drop an item (its question no longer exists)."""
        await self._db.write(
            "DELETE FROM review_items WHERE user_id = ? AND course_key = ? AND lesson_key = ?"
            " AND question_key = ?",
            (user_id, course_key, lesson_key, question_key),
        )
