"""The spaced-review queue: FSRS state and due time per learner and question, and the log of
every rating (``review_logs``, kept so the FSRS parameters can be optimised later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, epoch_of, from_epoch, to_epoch

_ITEM_KEY = "user_id = ? AND course_key = ? AND lesson_key = ? AND question_key = ?"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question in a learner's review queue."""

    user_id: int
    course_key: str
    lesson_key: str
    question_key: str
    stability: float | None
    difficulty: float | None
    fsrs_state: int
    lapses: int
    due_at: datetime
    created_at: datetime
    last_reviewed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> ReviewItem:
        """Build from a ``review_items`` row."""
        return cls(
            user_id=row["user_id"],
            course_key=row["course_key"],
            lesson_key=row["lesson_key"],
            question_key=row["question_key"],
            stability=None if row["stability"] is None else float(row["stability"]),
            difficulty=None if row["difficulty"] is None else float(row["difficulty"]),
            fsrs_state=int(row["fsrs_state"]),
            lapses=int(row["lapses"]),
            due_at=epoch_of(row["due_at"]),
            created_at=epoch_of(row["created_at"]),
            last_reviewed_at=from_epoch(row["last_reviewed_at"]),
        )


@dataclass(frozen=True, slots=True)
class Schedule:
    """An item's scheduling state after a rating (what ``save`` and ``start`` write)."""

    stability: float
    difficulty: float
    fsrs_state: int
    lapses: int
    due_at: datetime
    reviewed_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewLogEntry:
    """One rating, for ``review_logs``."""

    kind: str  # 'lesson' (the first answer, in a lesson quiz) or 'review'
    rating: int
    reviewed_at: datetime
    elapsed_days: int | None
    retrievability: float | None
    stability: float
    difficulty: float
    fsrs_state: int
    due_at: datetime
    retention: float


class ReviewRepository:
    """Reads and writes ``review_items`` and ``review_logs``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str
    ) -> ReviewItem | None:
        """The item for one question, if it is in the queue."""
        row = await self._db.fetch_one(
            f"SELECT * FROM review_items WHERE {_ITEM_KEY}",  # noqa: S608
            (user_id, course_key, lesson_key, question_key),
        )
        return None if row is None else ReviewItem.from_row(row)

    async def save(self, user_id: int, course_key: str, lesson_key: str, question_key: str,
                   schedule: Schedule) -> None:
        """Insert or replace an item's scheduling state after a review."""
        s = schedule
        await self._db.write(
            """
            INSERT INTO review_items (user_id, course_key, lesson_key, question_key, stability,
                                      difficulty, fsrs_state, lapses, due_at, created_at,
                                      last_reviewed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key, lesson_key, question_key) DO UPDATE SET
                stability = excluded.stability, difficulty = excluded.difficulty,
                fsrs_state = excluded.fsrs_state, lapses = excluded.lapses,
                due_at = excluded.due_at, last_reviewed_at = excluded.last_reviewed_at
            """,
            (user_id, course_key, lesson_key, question_key, s.stability, s.difficulty,
             s.fsrs_state, s.lapses, to_epoch(s.due_at), to_epoch(s.reviewed_at),
             to_epoch(s.reviewed_at)),
        )

    async def start(self, user_id: int, course_key: str, lesson_key: str, question_key: str,
                    schedule: Schedule) -> None:
        """Put a question into the queue unless it is there already (a first answer does)."""
        s = schedule
        await self._db.write(
            """
            INSERT INTO review_items (user_id, course_key, lesson_key, question_key, stability,
                                      difficulty, fsrs_state, lapses, due_at, created_at,
                                      last_reviewed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key, lesson_key, question_key) DO NOTHING
            """,
            (user_id, course_key, lesson_key, question_key, s.stability, s.difficulty,
             s.fsrs_state, s.lapses, to_epoch(s.due_at), to_epoch(s.reviewed_at),
             to_epoch(s.reviewed_at)),
        )

    async def make_due(self, user_id: int, course_key: str, lesson_key: str,
                       question_key: str, now: datetime) -> None:
        """Bring an item forward to ``now`` (a question missed in a final evaluation)."""
        await self._db.write(
            f"UPDATE review_items SET due_at = ? WHERE {_ITEM_KEY} AND due_at > ?",  # noqa: S608
            (to_epoch(now), user_id, course_key, lesson_key, question_key, to_epoch(now)),
        )

    async def due(self, user_id: int, now: datetime) -> list[ReviewItem]:
        """Every item due at ``now``, oldest due first (a learner has hundreds at most)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM review_items WHERE user_id = ? AND due_at <= ?"
            " ORDER BY due_at, created_at, course_key, lesson_key, question_key",
            (user_id, to_epoch(now)),
        )
        return [ReviewItem.from_row(r) for r in rows]

    async def of_course(self, user_id: int, course_key: str) -> list[ReviewItem]:
        """Every item of one course in the learner's queue."""
        rows = await self._db.fetch_all(
            "SELECT * FROM review_items WHERE user_id = ? AND course_key = ?"
            " ORDER BY lesson_key, question_key",
            (user_id, course_key),
        )
        return [ReviewItem.from_row(r) for r in rows]

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
            f"DELETE FROM review_items WHERE {_ITEM_KEY}",  # noqa: S608
            (user_id, course_key, lesson_key, question_key),
        )

    # ------------------------------------------------------------------ review log

    async def log(self, user_id: int, course_key: str, lesson_key: str, question_key: str,
                  entry: ReviewLogEntry) -> None:
        """Keep one rating. A lesson answer is logged only for the item's first one (a retake
        of the quiz is practice and does not touch the schedule)."""
        e = entry
        first_only = (" AND NOT EXISTS (SELECT 1 FROM review_logs WHERE kind = 'lesson' AND"
                      f" {_ITEM_KEY})") if e.kind == "lesson" else ""
        keys = (user_id, course_key, lesson_key, question_key)
        await self._db.write(
            "INSERT INTO review_logs (user_id, course_key, lesson_key, question_key, kind,"
            " rating, reviewed_at, elapsed_days, retrievability, stability, difficulty,"
            " fsrs_state, due_at, retention)"
            # The casts type the NULLs PostgreSQL would otherwise take for text in a SELECT.
            " SELECT ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION),"
            " ?, ?, ?, ?, ? WHERE 1 = 1" + first_only,
            (*keys, e.kind, e.rating, to_epoch(e.reviewed_at), e.elapsed_days,
             e.retrievability, e.stability, e.difficulty, e.fsrs_state, to_epoch(e.due_at),
             e.retention, *(keys if first_only else ())),
        )

    async def reviews_since(self, user_id: int, since: datetime) -> int:
        """How many review answers (not lesson answers) the learner gave from ``since`` on."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM review_logs WHERE user_id = ? AND kind = 'review'"
            " AND reviewed_at >= ?",
            (user_id, to_epoch(since)),
        )
        return int(value or 0)
