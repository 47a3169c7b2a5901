"""Final evaluations (post-tests) and course results: what makes a course count.

An attempt belongs to the message that shows its current question, as a learning session
does: a press finds the attempt by (chat, message), its callback data says only the position
and the option pressed. ``course_results`` keeps one row per learner and course: the attempts,
the best score and, once passed, when; JP counts from the local date of the first pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.db import Database, Row, epoch_of, from_epoch, to_epoch


@dataclass(frozen=True, slots=True)
class PlannedQuestion:
    """One question of an attempt, and the order its options are shown in (option ids)."""

    lesson_key: str
    question_key: str
    order: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One final evaluation attempt."""

    id: int
    user_id: int
    course_key: str
    plan: tuple[PlannedQuestion, ...]
    pass_mark: int
    position: int
    answered: bool
    correct: int
    chat_id: int | None
    message_id: int | None
    started_at: datetime
    finished_at: datetime | None
    score: int | None
    passed: bool | None

    @property
    def finished(self) -> bool:
        """True once the last question was answered (or the attempt was abandoned)."""
        return self.finished_at is not None

    @classmethod
    def from_row(cls, row: Row) -> Attempt:
        """Build from an ``evaluation_attempts`` row."""
        plan = tuple(PlannedQuestion(lesson, question, tuple(order))
                     for lesson, question, order in json.loads(row["plan"]))
        return cls(
            id=row["id"], user_id=row["user_id"], course_key=row["course_key"], plan=plan,
            pass_mark=row["pass_mark"], position=row["position"],
            answered=bool(row["answered"]), correct=row["correct"], chat_id=row["chat_id"],
            message_id=row["message_id"], started_at=epoch_of(row["started_at"]),
            finished_at=from_epoch(row["finished_at"]), score=row["score"],
            passed=None if row["passed"] is None else bool(row["passed"]),
        )


@dataclass(frozen=True, slots=True)
class CourseResult:
    """A learner's standing in a course's final evaluation."""

    user_id: int
    course_key: str
    attempts: int
    best_score: int
    last_at: datetime
    passed_at: datetime | None
    passed_on: date | None
    started_on: date | None
    minutes: int

    @property
    def passed(self) -> bool:
        """True once an attempt reached the pass mark."""
        return self.passed_on is not None

    @classmethod
    def from_row(cls, row: Row) -> CourseResult:
        """Build from a ``course_results`` row."""
        return cls(
            user_id=row["user_id"], course_key=row["course_key"], attempts=row["attempts"],
            best_score=row["best_score"], last_at=epoch_of(row["last_at"]),
            passed_at=from_epoch(row["passed_at"]),
            passed_on=date.fromisoformat(row["passed_on"]) if row["passed_on"] else None,
            started_on=date.fromisoformat(row["started_on"]) if row["started_on"] else None,
            minutes=row["minutes"],
        )


def _plan_json(plan: tuple[PlannedQuestion, ...]) -> str:
    return json.dumps([[q.lesson_key, q.question_key, list(q.order)] for q in plan])


class EvaluationRepository:
    """Reads and writes ``evaluation_attempts``, ``evaluation_answers`` and ``course_results``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ attempts

    async def create(self, user_id: int, course_key: str, plan: tuple[PlannedQuestion, ...],
                     pass_mark: int, *, chat_id: int, message_id: int, now: datetime) -> int:
        """Open an attempt on the message that shows its first question; its id."""
        rows = await self._db.returning(
            """
            INSERT INTO evaluation_attempts (user_id, course_key, plan, pass_mark, chat_id,
                                             message_id, started_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            (user_id, course_key, _plan_json(plan), pass_mark, chat_id, message_id,
             to_epoch(now)),
        )
        return int(rows[0]["id"])

    async def on_message(self, chat_id: int, message_id: int) -> Attempt | None:
        """The unfinished attempt a message shows, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM evaluation_attempts WHERE chat_id = ? AND message_id = ?"
            " AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            (chat_id, message_id),
        )
        return None if row is None else Attempt.from_row(row)

    async def open_attempt(self, user_id: int, course_key: str) -> Attempt | None:
        """The learner's unfinished attempt at a course, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM evaluation_attempts WHERE user_id = ? AND course_key = ?"
            " AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            (user_id, course_key),
        )
        return None if row is None else Attempt.from_row(row)

    async def record_answer(self, attempt: Attempt, chosen: int, correct: bool,
                            now: datetime) -> bool:
        """Record the answer to the question on screen, once; False if it already was."""
        done = await self._db.execute(
            "UPDATE evaluation_attempts SET answered = 1, correct = correct + ?"
            " WHERE id = ? AND position = ? AND answered = 0 AND finished_at IS NULL",
            (int(correct), attempt.id, attempt.position),
        )
        if done != 1:
            return False
        planned = attempt.plan[attempt.position]
        await self._db.write(
            """
            INSERT INTO evaluation_answers (attempt_id, user_id, position, lesson_key,
                                            question_key, chosen, correct, answered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (attempt.id, attempt.user_id, attempt.position, planned.lesson_key,
             planned.question_key, chosen, int(correct), to_epoch(now)),
        )
        return True

    async def advance(self, attempt_id: int, expected: int) -> bool:
        """Move from an answered question to the next; False if the attempt moved meanwhile."""
        return await self._db.execute(
            "UPDATE evaluation_attempts SET position = position + 1, answered = 0"
            " WHERE id = ? AND position = ? AND answered = 1 AND finished_at IS NULL",
            (attempt_id, expected),
        ) == 1

    async def rebind(self, attempt_id: int, chat_id: int, message_id: int) -> None:
        """The attempt is shown by another message now."""
        await self._db.write(
            "UPDATE evaluation_attempts SET chat_id = ?, message_id = ? WHERE id = ?",
            (chat_id, message_id, attempt_id),
        )

    async def finish(self, attempt_id: int, score: int, passed: bool, now: datetime) -> bool:
        """Close an attempt with its score; False if it was already closed."""
        return await self._db.execute(
            "UPDATE evaluation_attempts SET finished_at = ?, score = ?, passed = ?"
            " WHERE id = ? AND finished_at IS NULL",
            (to_epoch(now), score, int(passed), attempt_id),
        ) == 1

    async def abandon_open(self, user_id: int, course_key: str, now: datetime) -> None:
        """Close the learner's unfinished attempts at a course, unscored (a new one starts)."""
        await self._db.write(
            "UPDATE evaluation_attempts SET finished_at = ? WHERE user_id = ?"
            " AND course_key = ? AND finished_at IS NULL",
            (to_epoch(now), user_id, course_key),
        )

    async def missed(self, attempt_id: int) -> list[tuple[str, str]]:
        """(lesson, question) of the attempt's wrong answers, in the order asked."""
        rows = await self._db.fetch_all(
            "SELECT lesson_key, question_key FROM evaluation_answers"
            " WHERE attempt_id = ? AND correct = 0 ORDER BY position",
            (attempt_id,),
        )
        return [(r["lesson_key"], r["question_key"]) for r in rows]

    # ------------------------------------------------------------------ results

    async def record_result(self, user_id: int, course_key: str, *, score: int, passed: bool,
                            now: datetime, today: date, started_on: date | None,
                            minutes: int) -> CourseResult:
        """Count a scored attempt: the best score, and the first pass (minutes credited then).

        A later pass changes nothing of the first one: JP are credited once, on its date.
        """
        passed_at = to_epoch(now) if passed else None
        passed_on = today.isoformat() if passed else None
        rows = await self._db.returning(
            """
            INSERT INTO course_results (user_id, course_key, attempts, best_score, last_at,
                                        passed_at, passed_on, started_on, minutes)
            VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key) DO UPDATE SET
                attempts = course_results.attempts + 1,
                best_score = CASE WHEN excluded.best_score > course_results.best_score
                                  THEN excluded.best_score ELSE course_results.best_score END,
                last_at = excluded.last_at,
                passed_at = COALESCE(course_results.passed_at, excluded.passed_at),
                passed_on = COALESCE(course_results.passed_on, excluded.passed_on),
                started_on = COALESCE(course_results.started_on, excluded.started_on),
                minutes = CASE WHEN course_results.passed_on IS NULL
                               THEN excluded.minutes ELSE course_results.minutes END
            RETURNING *
            """,
            (user_id, course_key, score, to_epoch(now), passed_at, passed_on,
             started_on.isoformat() if started_on else None, minutes if passed else 0),
        )
        return CourseResult.from_row(rows[0])

    async def result(self, user_id: int, course_key: str) -> CourseResult | None:
        """The learner's result in a course, if they attempted it."""
        row = await self._db.fetch_one(
            "SELECT * FROM course_results WHERE user_id = ? AND course_key = ?",
            (user_id, course_key),
        )
        return None if row is None else CourseResult.from_row(row)

    async def results(self, user_id: int) -> list[CourseResult]:
        """Every course the learner attempted."""
        rows = await self._db.fetch_all(
            "SELECT * FROM course_results WHERE user_id = ? ORDER BY course_key", (user_id,))
        return [CourseResult.from_row(r) for r in rows]

    async def minutes_between(self, user_id: int, first: date, last: date) -> int:
        """Minutes credited for courses first passed between two local dates (inclusive)."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(SUM(minutes), 0) FROM course_results WHERE user_id = ?"
            " AND passed_on >= ? AND passed_on <= ?",
            (user_id, first.isoformat(), last.isoformat()),
        )
        return int(value or 0)
