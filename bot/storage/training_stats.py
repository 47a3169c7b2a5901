"""Set-based reads over a cohort for /stats and /export: one grouped query per figure.

Every query starts from ``cohort_members`` (primary key cohort_id, user_id) and reaches the
learner tables through their user_id-leading keys, so a 5,000-member cohort costs a handful of
index range scans, not a query per learner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.db import Database
from bot.storage.users import MEMBER_NAME


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member's identity columns."""

    user_id: int
    name: str
    unit: str | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class QuestionScore:
    """How a cohort answered one question (scored first answers only)."""

    course_key: str
    lesson_key: str
    question_key: str
    right: int
    answers: int


class CohortStatsRepository:
    """Grouped reads over one cohort's members."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def members(self, cohort_id: int) -> list[MemberRow]:
        """Every member, by name."""
        rows = await self._db.fetch_all(
            f"SELECT u.id, {MEMBER_NAME} AS name, u.unit, u.is_active"
            " FROM cohort_members m JOIN users u ON u.id = m.user_id WHERE m.cohort_id = ?"
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id",  # noqa: S608
            (cohort_id,),
        )
        return [MemberRow(r["id"], r["name"], r["unit"], bool(r["is_active"])) for r in rows]

    async def completed_lessons(
        self, cohort_id: int, lessons: Iterable[tuple[str, str]]
    ) -> list[tuple[int, str, int]]:
        """(user, course, completed lessons) counting only the given (course, lesson) keys."""
        keys = self._db.list_param([f"{course}/{lesson}" for course, lesson in lessons])
        wanted = self._db.dialect.in_list("lp.course_key || '/' || lp.lesson_key")
        rows = await self._db.fetch_all(
            "SELECT lp.user_id, lp.course_key, COUNT(*) AS n"
            " FROM cohort_members m JOIN lesson_progress lp ON lp.user_id = m.user_id"
            f" WHERE m.cohort_id = ? AND lp.completed_at IS NOT NULL AND {wanted}"  # noqa: S608
            " GROUP BY lp.user_id, lp.course_key",
            (cohort_id, keys),
        )
        return [(r["user_id"], r["course_key"], r["n"]) for r in rows]

    async def minutes_between(self, cohort_id: int, first: str, last: str) -> dict[int, int]:
        """Credited minutes per member for lessons completed on local dates first..last."""
        rows = await self._db.fetch_all(
            "SELECT lp.user_id, SUM(lp.minutes_credited) AS minutes"
            " FROM cohort_members m JOIN lesson_progress lp ON lp.user_id = m.user_id"
            " WHERE m.cohort_id = ? AND lp.completed_on BETWEEN ? AND ?"
            " GROUP BY lp.user_id",
            (cohort_id, first, last),
        )
        return {r["user_id"]: int(r["minutes"] or 0) for r in rows}

    async def accuracy(self, cohort_id: int) -> dict[int, tuple[int, int]]:
        """(right, scored answers) per member."""
        rows = await self._db.fetch_all(
            "SELECT q.user_id, SUM(q.correct) AS n_right, COUNT(*) AS n"
            " FROM cohort_members m JOIN quiz_answers q"
            " ON q.user_id = m.user_id AND q.is_first = 1"
            " WHERE m.cohort_id = ? GROUP BY q.user_id",
            (cohort_id,),
        )
        return {r["user_id"]: (int(r["n_right"]), int(r["n"])) for r in rows}

    async def last_active(self, cohort_id: int) -> dict[int, str]:
        """The latest local activity date per member."""
        rows = await self._db.fetch_all(
            "SELECT a.user_id, MAX(a.local_date) AS last"
            " FROM cohort_members m JOIN activity_days a ON a.user_id = m.user_id"
            " WHERE m.cohort_id = ? GROUP BY a.user_id",
            (cohort_id,),
        )
        return {r["user_id"]: r["last"] for r in rows}

    async def active_since(self, cohort_id: int, first_day: str) -> int:
        """How many members finished a lesson or review on or after ``first_day``."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM cohort_members m WHERE m.cohort_id = ? AND EXISTS"
            " (SELECT 1 FROM activity_days a WHERE a.user_id = m.user_id"
            " AND a.local_date >= ?)",
            (cohort_id, first_day),
        )
        return int(value or 0)

    async def weekly_active(self, cohort_id: int, first_monday: str) -> dict[int, int]:
        """Active members per week (0 = the week starting ``first_monday``)."""
        rows = await self._db.fetch_all(
            f"SELECT {self._db.dialect.days_between('a.local_date', '?')} / 7 AS week,"  # noqa: S608
            " COUNT(DISTINCT a.user_id) AS n"
            " FROM cohort_members m JOIN activity_days a ON a.user_id = m.user_id"
            " WHERE m.cohort_id = ? AND a.local_date >= ? GROUP BY week",
            (first_monday, cohort_id, first_monday),
        )
        return {int(r["week"]): int(r["n"]) for r in rows}

    async def certificates(self, cohort_id: int) -> dict[int, list[str]]:
        """Certificate codes per member, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT c.user_id, c.code FROM cohort_members m"
            " JOIN certificates c ON c.user_id = m.user_id"
            " WHERE m.cohort_id = ? ORDER BY c.user_id, c.issued_at",
            (cohort_id,),
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row["user_id"], []).append(row["code"])
        return found

    async def question_scores(self, cohort_id: int, limit: int) -> list[QuestionScore]:
        """The questions the cohort got wrong most often (lowest share right first)."""
        rows = await self._db.fetch_all(
            "SELECT q.course_key, q.lesson_key, q.question_key, SUM(q.correct) AS n_right,"
            " COUNT(*) AS n FROM cohort_members m JOIN quiz_answers q"
            " ON q.user_id = m.user_id AND q.is_first = 1 WHERE m.cohort_id = ?"
            " GROUP BY q.course_key, q.lesson_key, q.question_key"
            " ORDER BY CAST(SUM(q.correct) AS REAL) / COUNT(*), COUNT(*) DESC,"
            " q.course_key, q.lesson_key, q.question_key LIMIT ?",
            (cohort_id, limit),
        )
        return [
            QuestionScore(r["course_key"], r["lesson_key"], r["question_key"], int(r["n_right"]),
                          int(r["n"]))
            for r in rows
        ]
