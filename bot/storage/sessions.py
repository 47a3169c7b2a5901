"""Interactive learning sessions: what a lesson, quiz or review message currently shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.db import Database, to_epoch


@dataclass(frozen=True, slots=True)
class Session:
    """One interactive message's state."""

    id: int
    user_id: int
    kind: str
    course_key: str
    lesson_key: str
    question_key: str | None
    position: int
    answered: bool
    correct: int
    parent_id: int | None
    chat_id: int | None
    message_id: int | None
    closed: bool

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Session:
        """Build from a ``learning_sessions`` row."""
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            kind=row["kind"],
            course_key=row["course_key"],
            lesson_key=row["lesson_key"],
            question_key=row["question_key"],
            position=row["position"],
            answered=bool(row["answered"]),
            correct=row["correct"],
            parent_id=row["parent_id"],
            chat_id=row["chat_id"],
            message_id=row["message_id"],
            closed=bool(row["closed"]),
        )


@dataclass(frozen=True, slots=True)
class PollRef:
    """Which session question a native quiz poll asks."""

    poll_id: str
    session_id: int
    user_id: int
    position: int
    chat_id: int
    message_id: int


class SessionRepository:
    """Reads and writes ``learning_sessions`` and ``quiz_polls``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, user_id: int, kind: str, course_key: str, lesson_key: str, *, now: datetime,
        position: int = 0, question_key: str | None = None, parent_id: int | None = None,
    ) -> Session:
        """Open a new session."""
        rows = await self._db.write_returning(
            """
            INSERT INTO learning_sessions (user_id, kind, course_key, lesson_key,
                question_key, position, parent_id, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
            """,
            (user_id, kind, course_key, lesson_key, question_key, position, parent_id,
             to_epoch(now), to_epoch(now)),
        )
        assert rows
        return Session.from_row(rows[0])

    async def get(self, session_id: int) -> Session | None:
        """A session by id."""
        row = await self._db.fetch_one(
            "SELECT * FROM learning_sessions WHERE id = ?", (session_id,)
        )
        return None if row is None else Session.from_row(row)

    async def child(self, parent_id: int) -> Session | None:
        """The latest quiz session started from a lesson session."""
        row = await self._db.fetch_one(
            "SELECT * FROM learning_sessions WHERE parent_id = ? ORDER BY id DESC LIMIT 1",
            (parent_id,),
        )
        return None if row is None else Session.from_row(row)

    async def attach(self, session_id: int, chat_id: int, message_id: int) -> None:
        """Remember the message that shows the session."""
        await self._db.execute(
            "UPDATE learning_sessions SET chat_id = ?, message_id = ? WHERE id = ?",
            (chat_id, message_id, session_id),
        )

    async def advance(
        self, session_id: int, expected: int, *, answered: bool | None = None,
        to: int | None = None, now: datetime,
    ) -> bool:
        """Compare-and-set on the position: True only if the session was at ``expected``.

        ``to`` moves the position (and clears ``answered``); ``answered`` marks the question at
        the current position answered — but only if it was not answered yet.
        """
        if to is not None:
            sql = ("UPDATE learning_sessions SET position = ?, answered = 0, updated_at = ?"
                   " WHERE id = ? AND position = ? AND closed = 0")
            params: tuple[object, ...] = (to, to_epoch(now), session_id, expected)
        elif answered:
            sql = ("UPDATE learning_sessions SET answered = 1, updated_at = ?"
                   " WHERE id = ? AND position = ? AND answered = 0 AND closed = 0")
            params = (to_epoch(now), session_id, expected)
        else:
            raise ValueError("nothing to change")
        return await self._db.execute(sql, params) == 1

    async def add_correct(self, session_id: int) -> None:
        """Count one right answer in the session."""
        await self._db.execute(
            "UPDATE learning_sessions SET correct = correct + 1 WHERE id = ?", (session_id,)
        )

    async def close(self, session_id: int, now: datetime) -> None:
        """Mark a session finished: its buttons no longer do anything."""
        await self._db.execute(
            "UPDATE learning_sessions SET closed = 1, updated_at = ? WHERE id = ?",
            (to_epoch(now), session_id),
        )

    async def close_open(self, user_id: int, kind: str, now: datetime) -> None:
        """Close the learner's open sessions of one kind (a new one supersedes them)."""
        await self._db.execute(
            "UPDATE learning_sessions SET closed = 1, updated_at = ?"
            " WHERE user_id = ? AND kind = ? AND closed = 0",
            (to_epoch(now), user_id, kind),
        )

    # ------------------------------------------------------------------ native polls

    async def add_poll(self, ref: PollRef, now: datetime) -> None:
        """Remember which question a sent poll asks."""
        await self._db.execute(
            "INSERT INTO quiz_polls (poll_id, session_id, user_id, position, chat_id,"
            " message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ref.poll_id, ref.session_id, ref.user_id, ref.position, ref.chat_id,
             ref.message_id, to_epoch(now)),
        )

    async def poll(self, poll_id: str) -> PollRef | None:
        """The question a poll asks, if it is one of ours."""
        row = await self._db.fetch_one("SELECT * FROM quiz_polls WHERE poll_id = ?", (poll_id,))
        if row is None:
            return None
        return PollRef(row["poll_id"], row["session_id"], row["user_id"], row["position"],
                       row["chat_id"], row["message_id"])
