"""Set-based reads for /stats and /export: one grouped query per figure.

The /stats reads start from ``cohort_members`` (primary key cohort_id, user_id) and reach the
learner tables through their user_id-leading keys, so a 5,000-member cohort costs a handful of
index range scans, not a query per learner. The per-learner reads of the exports take a
``Scope`` (bot.storage.siasn: all learners, a unit or a cohort, optionally only members of some
cohorts) and join the learner tables to its people the same way. JP come from the one ledger
of completed learning (``records_sql``), never from lesson minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.db import Database, epoch_of
from bot.storage.siasn import Scope, records_sql
from bot.storage.users import MEMBER_NAME


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member's identity columns."""

    user_id: int
    name: str
    unit: str | None
    is_active: bool
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """A learner of an export's scope."""

    user_id: int
    name: str
    unit: str | None


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
            f"SELECT u.id, {MEMBER_NAME} AS name, u.unit, u.is_active, m.joined_at"
            " FROM cohort_members m JOIN users u ON u.id = m.user_id WHERE m.cohort_id = ?"
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id",  # noqa: S608
            (cohort_id,),
        )
        return [MemberRow(r["id"], r["name"], r["unit"], bool(r["is_active"]),
                          epoch_of(r["joined_at"])) for r in rows]

    async def completed_lessons(
        self, scope: Scope, lessons: Iterable[tuple[str, str]]
    ) -> list[tuple[int, str, int]]:
        """(user, course, completed lessons) counting only the given (course, lesson) keys."""
        people, params = _people(scope)
        wanted = self._in_list("lp.course_key || '/' || lp.lesson_key", "lessons")
        rows = await self._db.fetch_all(
            f"SELECT lp.user_id, lp.course_key, COUNT(*) AS n FROM ({people}) p"  # noqa: S608
            " JOIN lesson_progress lp ON lp.user_id = p.id"
            f" WHERE lp.completed_at IS NOT NULL AND {wanted}"
            " GROUP BY lp.user_id, lp.course_key",
            {**params, "lessons": self._db.list_param(
                [f"{course}/{lesson}" for course, lesson in lessons])},
        )
        return [(r["user_id"], r["course_key"], r["n"]) for r in rows]

    async def passed(self, scope: Scope) -> dict[int, set[str]]:
        """The courses each learner passed (their final evaluation, ``course_results``)."""
        people, params = _people(scope)
        rows = await self._db.fetch_all(
            f"SELECT cr.user_id, cr.course_key FROM ({people}) p"  # noqa: S608
            " JOIN course_results cr ON cr.user_id = p.id WHERE cr.passed_on IS NOT NULL",
            params,
        )
        found: dict[int, set[str]] = {}
        for row in rows:
            found.setdefault(row["user_id"], set()).add(row["course_key"])
        return found

    async def minutes_between(self, scope: Scope, first: str, last: str) -> dict[int, int]:
        """Minutes per learner from the JP ledger (bot.storage.siasn: courses passed, by the
        local date of the first pass, revoked certificates left out) for dates first..last."""
        people, params = _people(scope)
        rows = await self._db.fetch_all(
            f"SELECT r.user_id, SUM(r.minutes) AS minutes FROM ({records_sql()}) r"  # noqa: S608
            f" JOIN ({people}) p ON p.id = r.user_id GROUP BY r.user_id",
            {**params, "first": first, "last": last},
        )
        return {r["user_id"]: int(r["minutes"] or 0) for r in rows}

    async def accuracy(self, scope: Scope) -> dict[int, tuple[int, int]]:
        """(right, scored answers) per learner: first answers only."""
        people, params = _people(scope)
        rows = await self._db.fetch_all(
            "SELECT q.user_id, SUM(q.correct) AS n_right, COUNT(*) AS n"  # noqa: S608
            f" FROM ({people}) p JOIN quiz_answers q ON q.user_id = p.id AND q.is_first = 1"
            " GROUP BY q.user_id",
            params,
        )
        return {r["user_id"]: (int(r["n_right"]), int(r["n"])) for r in rows}

    async def last_active(self, scope: Scope) -> dict[int, str]:
        """The latest local activity date per learner."""
        people, params = _people(scope)
        rows = await self._db.fetch_all(
            "SELECT a.user_id, MAX(a.local_date) AS last"  # noqa: S608
            f" FROM ({people}) p JOIN activity_days a ON a.user_id = p.id GROUP BY a.user_id",
            params,
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

    async def certificates(self, scope: Scope) -> dict[int, list[str]]:
        """Certificate codes per learner, oldest first (revoked ones left out)."""
        people, params = _people(scope)
        rows = await self._db.fetch_all(
            f"SELECT c.user_id, c.code FROM ({people}) p"  # noqa: S608
            " JOIN certificates c ON c.user_id = p.id WHERE c.revoked_at IS NULL"
            " ORDER BY c.user_id, c.issued_at",
            params,
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row["user_id"], []).append(row["code"])
        return found

    async def people(self, scope: Scope) -> list[Person]:
        """The learners of a scope, by name: a unit's or cohort's people, or (all) everyone
        who finished onboarding or learned something."""
        where, params = scope.where()
        if scope.kind == "all":
            where += (" AND (u.onboarded_at IS NOT NULL OR EXISTS"
                      " (SELECT 1 FROM lesson_progress lp WHERE lp.user_id = u.id))")
        rows = await self._db.fetch_all(
            f"SELECT u.id, {MEMBER_NAME} AS name, u.unit FROM users u WHERE {where}"  # noqa: S608
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id",
            params,
        )
        return [Person(r["id"], r["name"], r["unit"]) for r in rows]

    async def question_scores(self, cohort_id: int, courses: Iterable[str], *,
                              min_answers: int, limit: int) -> list[QuestionScore]:
        """The questions of these courses the cohort got wrong most often on first answer
        (lowest share right first), each with at least ``min_answers`` first answers and at
        least one of them wrong."""
        wanted = self._db.dialect.in_list("q.course_key")
        rows = await self._db.fetch_all(
            "SELECT q.course_key, q.lesson_key, q.question_key, SUM(q.correct) AS n_right,"
            " COUNT(*) AS n FROM cohort_members m JOIN quiz_answers q"
            " ON q.user_id = m.user_id AND q.is_first = 1"
            f" WHERE m.cohort_id = ? AND {wanted}"  # noqa: S608
            " GROUP BY q.course_key, q.lesson_key, q.question_key"
            " HAVING COUNT(*) >= ? AND SUM(q.correct) < COUNT(*)"
            " ORDER BY CAST(SUM(q.correct) AS REAL) / COUNT(*), COUNT(*) DESC,"
            " q.course_key, q.lesson_key, q.question_key LIMIT ?",
            (cohort_id, self._db.list_param(list(courses)), min_answers, limit),
        )
        return [
            QuestionScore(r["course_key"], r["lesson_key"], r["question_key"], int(r["n_right"]),
                          int(r["n"]))
            for r in rows
        ]

    def _in_list(self, column: str, name: str) -> str:
        """``dialect.in_list`` with the named parameter ``name`` (for queries that take a
        scope's named parameters)."""
        sql = self._db.dialect.in_list(column)
        assert sql.count("?") == 1, sql
        return sql.replace("?", f":{name}")


def _people(scope: Scope) -> tuple[str, dict[str, Any]]:
    """A subquery of the ids (``id``) of the scope's learners, and its parameters."""
    where, params = scope.where()
    return f"SELECT u.id FROM users u WHERE {where}", params  # noqa: S608
