"""Completed learning as HR records it: the reads behind the SIASN sheet and the JP sheet.

A *learning record* is one completed course or activity of one learner, with the columns SIASN's
*riwayat kursus* asks for. Every table that yields records has one ``SELECT`` in ``SOURCES``,
each giving the same columns (``RECORD_COLUMNS``) for the local dates ``:first`` .. ``:last``;
the sheets read their union. Events (trainings, webinars, internships) join later as one more
entry there, with their own ``jenis``; nothing else changes.

Courses: a course counts from the local date of its first pass (``course_results.passed_on``).
Its certificate, when there is one, gives the certificate number, the issuer printed on it and
the ``jenis``; a course whose certificate was revoked does not count, in either sheet.

One query per sheet, on both engines: the course rows of a year come through the
``course_results (passed_on)`` index and the certificates' ``(user_id, course_key)`` key, and
each learner through the users' primary key, so 5,000 learners with several courses each are a
few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from bot.storage.db import Database, Row
from bot.storage.users import MEMBER_NAME

#: The columns every source gives, in this order.
RECORD_COLUMNS = ("user_id", "source", "jenis", "ref", "title", "organiser", "started_on",
                  "finished_on", "minutes", "certificate")

#: One SELECT per table of completed learning (see the module docstring).
SOURCES: dict[str, str] = {
    # A passed course; without a certificate yet, its number is empty; revoked: left out.
    "course": """
        SELECT cr.user_id AS user_id, 'course' AS source, COALESCE(c.kind, 'kursus') AS jenis,
               cr.course_key AS ref, c.course_title AS title, NULLIF(c.issuer, '') AS organiser,
               COALESCE(cr.started_on, c.started_on) AS started_on,
               cr.passed_on AS finished_on, cr.minutes AS minutes,
               COALESCE(c.code, '') AS certificate
        FROM course_results cr
        LEFT JOIN certificates c ON c.user_id = cr.user_id AND c.course_key = cr.course_key
        WHERE cr.passed_on >= :first AND cr.passed_on <= :last AND c.revoked_at IS NULL
    """,
}


def records_sql() -> str:
    """The union of every source, as a subquery body (parameters ``:first`` and ``:last``)."""
    return " UNION ALL ".join(f"SELECT {', '.join(RECORD_COLUMNS)} FROM ({sql}) s_{name}"
                              for name, sql in SOURCES.items())


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose records: every learner, the learners of one work unit, or one cohort's members;
    ``within`` (when set) keeps only members of those cohorts (a trainer limited to their own
    cohorts, bot.training.cohorts.CohortService.visible_to)."""

    kind: Literal["all", "unit", "cohort"]
    unit: str | None = None
    cohort_id: int | None = None
    within: tuple[int, ...] | None = None

    @classmethod
    def everyone(cls) -> Scope:
        """Every learner."""
        return cls("all")

    @classmethod
    def of_unit(cls, unit: str) -> Scope:
        """The learners whose work unit is ``unit``."""
        return cls("unit", unit=unit)

    @classmethod
    def of_cohort(cls, cohort_id: int) -> Scope:
        """The members of a cohort."""
        return cls("cohort", cohort_id=cohort_id)

    def only_in(self, cohort_ids: list[int]) -> Scope:
        """This scope, narrowed to the members of these cohorts."""
        return replace(self, within=tuple(sorted(set(cohort_ids))))

    def where(self) -> tuple[str, dict[str, Any]]:
        """The condition on ``users u`` and its parameters."""
        where, params = self._where()
        if self.within is None:
            return where, params
        if not self.within:
            return "1 = 0", params
        names = [f"within{n}" for n in range(len(self.within))]
        where += (" AND EXISTS (SELECT 1 FROM cohort_members w WHERE w.user_id = u.id"
                  f" AND w.cohort_id IN ({', '.join(':' + n for n in names)}))")
        return where, {**params, **dict(zip(names, self.within, strict=True))}

    def _where(self) -> tuple[str, dict[str, Any]]:
        if self.kind == "unit":
            return "u.unit = :unit", {"unit": self.unit}
        if self.kind == "cohort":
            return ("EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = :cohort"
                    " AND m.user_id = u.id)", {"cohort": self.cohort_id})
        return "1 = 1", {}


@dataclass(frozen=True, slots=True)
class LearningRecord:
    """One completed course (or, later, activity) of one learner."""

    user_id: int
    nip: str | None
    name: str
    source: str              # the table it came from: 'course'
    jenis: str               # SIASN's jenis: kursus / pelatihan / seminar ...
    ref: str                 # the thing completed, within its source (a course key)
    title: str | None        # as recorded (the certificate's), None if nothing recorded it
    organiser: str | None    # the issuer recorded with it, None for the configured one
    started_on: date | None
    finished_on: date
    minutes: int
    certificate: str         # the certificate number, '' when none was issued yet

    @classmethod
    def from_row(cls, row: Row) -> LearningRecord:
        """Build from a row of ``RecordRepository.records``."""
        started = row["started_on"]
        return cls(
            user_id=row["user_id"], nip=row["nip"], name=row["name"], source=row["source"],
            jenis=row["jenis"], ref=row["ref"], title=row["title"], organiser=row["organiser"],
            started_on=date.fromisoformat(started) if started else None,
            finished_on=date.fromisoformat(row["finished_on"]), minutes=int(row["minutes"]),
            certificate=row["certificate"],
        )


@dataclass(frozen=True, slots=True)
class PersonTotal:
    """A learner and the minutes their records credit in a period."""

    user_id: int
    nip: str | None
    name: str
    unit: str | None
    jabatan: str | None
    institution: str | None
    minutes: int


class RecordRepository:
    """Reads learning records for the HR sheets (SIASN, JP per person)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def records(self, scope: Scope, first: date, last: date) -> list[LearningRecord]:
        """Every record finished between two local dates (inclusive), by learner then date."""
        where, params = scope.where()
        rows = await self._db.fetch_all(
            f"SELECT r.user_id, u.nip, {MEMBER_NAME} AS name, r.source, r.jenis, r.ref,"  # noqa: S608
            " r.title, r.organiser, r.started_on, r.finished_on, r.minutes, r.certificate"
            f" FROM ({records_sql()}) r JOIN users u ON u.id = r.user_id WHERE {where}"
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id, r.finished_on,"
            " r.source, r.ref",
            {"first": first.isoformat(), "last": last.isoformat(), **params},
        )
        return [LearningRecord.from_row(r) for r in rows]

    async def totals(self, scope: Scope, first: date, last: date) -> list[PersonTotal]:
        """Every learner of the scope with the minutes of their records in the period, by name.

        "Every learner" is everyone who finished onboarding or has a record in the period; a
        unit or a cohort lists all of its people.
        """
        where, params = scope.where()
        if scope.kind == "all":
            where += " AND (u.onboarded_at IS NOT NULL OR j.user_id IS NOT NULL)"
        rows = await self._db.fetch_all(
            f"SELECT u.id, u.nip, {MEMBER_NAME} AS name, u.unit, u.jabatan, u.institution,"  # noqa: S608
            " COALESCE(j.minutes, 0) AS minutes FROM users u LEFT JOIN"
            f" (SELECT r.user_id, SUM(r.minutes) AS minutes FROM ({records_sql()}) r"
            " GROUP BY r.user_id) j ON j.user_id = u.id"
            f" WHERE {where} ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id",
            {"first": first.isoformat(), "last": last.isoformat(), **params},
        )
        return [PersonTotal(r["id"], r["nip"], r["name"], r["unit"], r["jabatan"],
                            r["institution"], int(r["minutes"])) for r in rows]

    async def units(self, scope: Scope | None = None) -> list[str]:
        """The work units learners gave (those of ``scope``'s learners), by name."""
        where, params = (scope or Scope.everyone()).where()
        rows = await self._db.fetch_all(
            "SELECT u.unit FROM users u WHERE u.unit IS NOT NULL AND u.unit <> ''"
            f" AND {where} GROUP BY u.unit"  # noqa: S608
            f" ORDER BY {self._db.dialect.nocase('u.unit')}, u.unit",
            params,
        )
        return [r["unit"] for r in rows]
