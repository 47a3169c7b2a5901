"""Interactive learning sessions: what a lesson, quiz or review message currently shows.

A session belongs to the message that shows it: a button press names the message it was
pressed on, so the press finds its session by (chat, message) and its callback data only says
which position it was pressed at. A session is written once its message exists, in the same
unit of work as the progress it records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, to_epoch

_OPEN_ON_MESSAGE = (
    "SELECT * FROM learning_sessions WHERE chat_id = ? AND message_id = ? AND closed = 0"
    " ORDER BY id DESC LIMIT 1"
)


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
    seed: int = 0  # the options' display order (bot.learning.quiz.option_order)

    @classmethod
    def from_row(cls, row: Row) -> Session:
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
            seed=row["seed"],
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
        self, user_id: int, kind: str, course_key: str, lesson_key: str, *, chat_id: int,
        message_id: int, now: datetime, position: int = 0, question_key: str | None = None,
        parent_id: int | None = None, seed: int = 0,
    ) -> None:
        """Open a session on the message that shows it."""
        await self._db.write(
            """
            INSERT INTO learning_sessions (user_id, kind, course_key, lesson_key,
                question_key, position, parent_id, chat_id, message_id, created_at, updated_at,
                seed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (user_id, kind, course_key, lesson_key, question_key, position, parent_id,
             chat_id, message_id, to_epoch(now), to_epoch(now), seed),
        )

    async def on_message(self, chat_id: int, message_id: int) -> Session | None:
        """The open session a message shows, if any."""
        row = await self._db.fetch_one(_OPEN_ON_MESSAGE, (chat_id, message_id))
        return None if row is None else Session.from_row(row)

    async def get(self, session_id: int) -> Session | None:
        """A session by id."""
        row = await self._db.fetch_one(
            "SELECT * FROM learning_sessions WHERE id = ?", (session_id,)
        )
        return None if row is None else Session.from_row(row)

    async def has_open_child(self, parent_id: int) -> bool:
        """True while a quiz started from this lesson session is still open."""
        value = await self._db.fetch_value(
            "SELECT 1 FROM learning_sessions WHERE parent_id = ? AND closed = 0 LIMIT 1",
            (parent_id,),
        )
        return value is not None

    async def move_to(self, session_id: int, expected: int, to: int, now: datetime) -> None:
        """Move the position from ``expected`` to ``to`` (and clear ``answered``).

        Compare-and-set: nothing changes if the session moved meanwhile (a chat's updates are
        handled one at a time, so the caller's read is normally still true).
        """
        await self._db.write(
            "UPDATE learning_sessions SET position = ?, answered = 0, updated_at = ?"
            " WHERE id = ? AND position = ? AND closed = 0",
            (to, to_epoch(now), session_id, expected),
        )

    async def mark_answered(self, session_id: int, position: int, *, correct: bool,
                            close: bool, now: datetime) -> None:
        """The question at ``position`` was answered (once); count it if right; maybe close."""
        await self._db.write(
            "UPDATE learning_sessions SET answered = 1, correct = correct + ?, closed = ?,"
            " updated_at = ? WHERE id = ? AND position = ? AND answered = 0 AND closed = 0",
            (int(correct), int(close), to_epoch(now), session_id, position),
        )

    async def rebind(self, session_id: int, chat_id: int, message_id: int,
                     now: datetime) -> None:
        """The session is shown by another message now (a quiz's next poll)."""
        await self._db.write(
            "UPDATE learning_sessions SET chat_id = ?, message_id = ?, updated_at = ?"
            " WHERE id = ?",
            (chat_id, message_id, to_epoch(now), session_id),
        )

    async def close(self, session_id: int, now: datetime) -> None:
        """Mark a session finished: its buttons no longer do anything."""
        await self._db.write(
            "UPDATE learning_sessions SET closed = 1, updated_at = ? WHERE id = ?",
            (to_epoch(now), session_id),
        )

    async def close_open(self, user_id: int, kind: str, now: datetime) -> None:
        """Close the learner's open sessions of one kind (a new one supersedes them)."""
        await self._db.write(
            "UPDATE learning_sessions SET closed = 1, updated_at = ?"
            " WHERE user_id = ? AND kind = ? AND closed = 0",
            (to_epoch(now), user_id, kind),
        )

    # ------------------------------------------------------------------ native polls

    async def add_poll(self, poll_id: str, user_id: int, position: int, chat_id: int,
                       message_id: int, now: datetime) -> None:
        """Remember which question a sent poll asks (its session is the poll's message's)."""
        await self._db.write(
            "INSERT INTO quiz_polls (poll_id, session_id, user_id, position, chat_id,"
            " message_id, created_at)"
            " SELECT ?, id, ?, ?, chat_id, message_id, ? FROM learning_sessions"
            " WHERE chat_id = ? AND message_id = ? AND closed = 0",
            (poll_id, user_id, position, to_epoch(now), chat_id, message_id),
        )

    async def poll(self, poll_id: str) -> PollRef | None:
        """The question a poll asks, if it is one of ours."""
        row = await self._db.fetch_one("SELECT * FROM quiz_polls WHERE poll_id = ?", (poll_id,))
        if row is None:
            return None
        return PollRef(row["poll_id"], row["session_id"], row["user_id"], row["position"],
                       row["chat_id"], row["message_id"])
