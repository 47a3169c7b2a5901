"""Privacy storage: the schema as it is, one person's rows, erasure with anonymous totals.

Table and column names in the SQL below come from the engine's own catalogue and are checked
against an identifier pattern before they are quoted; values are always parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.db import Database, to_epoch

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _q(name: str) -> str:
    """``name`` as a quoted SQL identifier (only plain identifiers are accepted)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


@dataclass(frozen=True, slots=True)
class ColumnAction:
    """One step of an erasure: what to do with the rows where ``column`` is the person."""

    table: str
    column: str
    action: str  # 'delete' | 'null' | 'zero'


@dataclass(frozen=True, slots=True)
class Totals:
    """The anonymous totals (sums over everything erased so far)."""

    answers: int
    correct: int
    completions: int
    minutes: int
    certificates: int
    erasures: dict[str, int]


# The person's contribution to the anonymous totals, taken before their rows go.
_AGGREGATE = (
    "INSERT INTO privacy_question_totals (course_key, lesson_key, question_key, answers,"
    " correct) SELECT course_key, lesson_key, question_key, COUNT(*), SUM(correct)"
    " FROM quiz_answers WHERE user_id = ? AND is_first = 1"
    " GROUP BY course_key, lesson_key, question_key"
    " ON CONFLICT (course_key, lesson_key, question_key) DO UPDATE SET"
    " answers = privacy_question_totals.answers + excluded.answers,"
    " correct = privacy_question_totals.correct + excluded.correct",
    "INSERT INTO privacy_lesson_totals (course_key, lesson_key, completions, minutes)"
    " SELECT course_key, lesson_key, COUNT(*), SUM(minutes_credited) FROM lesson_progress"
    " WHERE user_id = ? AND completed_at IS NOT NULL GROUP BY course_key, lesson_key"
    " ON CONFLICT (course_key, lesson_key) DO UPDATE SET"
    " completions = privacy_lesson_totals.completions + excluded.completions,"
    " minutes = privacy_lesson_totals.minutes + excluded.minutes",
    "INSERT INTO privacy_course_totals (course_key, certificates)"
    " SELECT course_key, COUNT(*) FROM certificates WHERE user_id = ? GROUP BY course_key"
    " ON CONFLICT (course_key) DO UPDATE SET"
    " certificates = privacy_course_totals.certificates + excluded.certificates",
)


class PrivacyRepository:
    """Reads one person's rows anywhere in the schema; erases them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def schema(self) -> dict[str, list[str]]:
        """Every table of the database and its columns, in order."""
        return await self._db.tables()

    async def rows_about(self, table: str, columns: Sequence[str],
                         person_id: int) -> list[dict[str, Any]]:
        """The rows of ``table`` where any of ``columns`` holds ``person_id``."""
        where = " OR ".join(f"{_q(c)} = ?" for c in columns)
        rows = await self._db.fetch_all(
            f"SELECT * FROM {_q(table)} WHERE {where}",  # noqa: S608 - checked identifiers
            tuple(person_id for _ in columns),
        )
        return [_as_dict(row) for row in rows]

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table (for tests and audits)."""
        return {table: [_as_dict(r) for r in await self._db.fetch_all(
            f"SELECT * FROM {_q(table)}")]  # noqa: S608 - names from the catalogue
            for table in await self.schema()}

    async def erase(self, person_id: int, steps: Sequence[ColumnAction], *, reason: str,
                    now: datetime, tombstone: str) -> bool:
        """Add the person to the anonymous totals, apply ``steps`` and leave ``tombstone``
        (their keyed hash), in one transaction: erased and "stays erased" commit together.

        Returns False (and changes nothing) when no ``users`` row exists for them.
        """
        month = now.strftime("%Y-%m")
        async with self._db.transaction():
            if await self._db.fetch_value(
                    "SELECT 1 FROM users WHERE id = ?", (person_id,)) is None:
                return False
            for sql in _AGGREGATE:
                await self._db.write(sql, (person_id,))
            for step in steps:
                table, column = _q(step.table), _q(step.column)
                if step.action == "delete":
                    sql = f"DELETE FROM {table} WHERE {column} = ?"  # noqa: S608
                elif step.action == "null":
                    sql = f"UPDATE {table} SET {column} = NULL WHERE {column} = ?"  # noqa: S608
                elif step.action == "zero":
                    sql = f"UPDATE {table} SET {column} = 0 WHERE {column} = ?"  # noqa: S608
                else:
                    raise ValueError(step.action)
                await self._db.write(sql, (person_id,))
            await self._db.write(
                "INSERT INTO privacy_erasures (month, reason, people) VALUES (?, ?, 1)"
                " ON CONFLICT (month, reason) DO UPDATE SET"
                " people = privacy_erasures.people + 1",
                (month, reason),
            )
            await self._db.write(
                "INSERT INTO privacy_tombstones (person_hash, erased_on, reason)"
                " VALUES (?, ?, ?) ON CONFLICT (person_hash) DO UPDATE SET"
                " erased_on = excluded.erased_on, reason = excluded.reason",
                (tombstone, now.astimezone(UTC).date().isoformat(), reason),
            )
        return True

    # ------------------------------------------------------------------ tombstones
    async def hash_key(self, fresh: str) -> str:
        """The tombstones' key: the stored one, else ``fresh`` (stored now, once for all)."""
        await self._db.write(
            "INSERT INTO privacy_key (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
            (fresh,))
        return str(await self._db.fetch_value("SELECT secret FROM privacy_key WHERE id = 1"))

    async def has_tombstone(self, person_hash: str) -> bool:
        """True if an erasure left this hash (one primary-key lookup)."""
        return await self._db.fetch_value(
            "SELECT 1 FROM privacy_tombstones WHERE person_hash = ?", (person_hash,)) is not None

    async def remove_tombstone(self, person_hash: str) -> bool:
        """Forget that this hash was erased (the person starts again); False if it wasn't."""
        return await self._db.execute(
            "DELETE FROM privacy_tombstones WHERE person_hash = ?", (person_hash,)) > 0

    async def inactive_since(self, cutoff: datetime, *, keep: Sequence[int],
                             limit: int) -> list[int]:
        """Users not seen since ``cutoff`` who hold no staff role and are not in ``keep``."""
        # `NOT IN (NULL)` is never true, so an empty list must leave the clause out.
        spared = f" AND u.id NOT IN ({','.join('?' * len(keep))})" if keep else ""
        rows = await self._db.fetch_all(
            "SELECT u.id FROM users u WHERE u.last_seen_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.user_id = u.id)"
            f"{spared} ORDER BY u.last_seen_at LIMIT ?",  # noqa: S608 - placeholders only
            (to_epoch(cutoff), *keep, limit),
        )
        return [int(r["id"]) for r in rows]

    async def totals(self) -> Totals:
        """The anonymous totals kept from erased people."""
        q = await self._db.fetch_one(
            "SELECT COALESCE(SUM(answers), 0) AS a, COALESCE(SUM(correct), 0) AS c"
            " FROM privacy_question_totals")
        lessons = await self._db.fetch_one(
            "SELECT COALESCE(SUM(completions), 0) AS n, COALESCE(SUM(minutes), 0) AS m"
            " FROM privacy_lesson_totals")
        certs = await self._db.fetch_value(
            "SELECT COALESCE(SUM(certificates), 0) FROM privacy_course_totals")
        erasures = await self._db.fetch_all(
            "SELECT reason, SUM(people) AS n FROM privacy_erasures GROUP BY reason")
        assert q is not None and lessons is not None
        return Totals(int(q["a"]), int(q["c"]), int(lessons["n"]), int(lessons["m"]),
                      int(certs or 0), {r["reason"]: int(r["n"]) for r in erasures})


def _as_dict(row: Any) -> dict[str, Any]:
    # An sqlite3.Row iterates over its values, not its keys.
    return {key: row[key] for key in row.keys()}  # noqa: SIM118
