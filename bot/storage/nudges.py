"""Nudge schedules and the nudge ledger (at most one row per learner and local day)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.db import Database, Row, epoch_of, from_epoch, to_epoch

_SELECT = """
SELECT s.user_id, s.stopped, s.paused_until, s.ignored_streak, s.backoff_announced,
       s.last_local_date, s.last_sent_date, s.next_due_at, s.due_local_date, s.needs_plan,
       s.plan_version, u.nudge_time, u.nudge_days, u.timezone, u.onboarded_at, u.is_active,
       u.language, u.telegram_language, u.first_name, u.last_name, u.display_name
  FROM nudge_schedules s JOIN users u ON u.id = s.user_id
"""


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A learner's nudge schedule joined with the user columns that shape it."""

    user_id: int
    stopped: bool
    paused_until: datetime | None
    ignored_streak: int
    backoff_announced: bool
    last_local_date: date | None
    last_sent_date: date | None
    next_due_at: datetime | None
    due_local_date: date | None
    needs_plan: bool
    plan_version: int
    nudge_time: str | None
    nudge_days: str
    timezone: str
    onboarded: bool
    is_active: bool
    language: str | None
    telegram_language: str | None
    name: str

    @classmethod
    def from_row(cls, row: Row) -> ScheduleRow:
        """Build from a ``_SELECT`` row."""
        name = row["display_name"] or " ".join(
            p for p in (row["first_name"], row["last_name"]) if p
        )
        return cls(
            user_id=row["user_id"],
            stopped=bool(row["stopped"]),
            paused_until=from_epoch(row["paused_until"]),
            ignored_streak=row["ignored_streak"],
            backoff_announced=bool(row["backoff_announced"]),
            last_local_date=_date(row["last_local_date"]),
            last_sent_date=_date(row["last_sent_date"]),
            next_due_at=from_epoch(row["next_due_at"]),
            due_local_date=_date(row["due_local_date"]),
            needs_plan=bool(row["needs_plan"]),
            plan_version=row["plan_version"],
            nudge_time=row["nudge_time"],
            nudge_days=row["nudge_days"] or "daily",
            timezone=row["timezone"],
            onboarded=row["onboarded_at"] is not None,
            is_active=bool(row["is_active"]),
            language=row["language"],
            telegram_language=row["telegram_language"],
            name=name.strip() or str(row["user_id"]),
        )


@dataclass(frozen=True, slots=True)
class PlanUpdate:
    """A new next occurrence for one schedule, valid only at ``plan_version``."""

    user_id: int
    plan_version: int
    next_due_at: datetime | None
    due_local_date: date | None
    last_local_date: date | None = None  # set when an occurrence was handled


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the nudge ledger."""

    id: int
    user_id: int
    local_date: date
    kind: str
    status: str
    reason: str | None
    message_id: int | None
    planned_at: datetime
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> LedgerEntry:
        """Build from a ``nudge_ledger`` row."""
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            local_date=date.fromisoformat(row["local_date"]),
            kind=row["kind"],
            status=row["status"],
            reason=row["reason"],
            message_id=row["message_id"],
            planned_at=epoch_of(row["planned_at"]),
            created_at=epoch_of(row["created_at"]),
            sent_at=from_epoch(row["sent_at"]),
        )


@dataclass(frozen=True, slots=True)
class Reminder:
    """A deadline reminder or path notice told (or seen) once: see ``deadline_reminders``."""

    cohort_id: int
    course_key: str
    kind: str
    deadline: str  # 'YYYY-MM-DD', '' for none


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else to_epoch(moment)


class NudgeRepository:
    """Reads and writes ``nudge_schedules`` and ``nudge_ledger``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ planning
    async def needing_plan(self, limit: int) -> list[ScheduleRow]:
        """Schedules whose inputs changed since their next nudge was computed."""
        rows = await self._db.fetch_all(
            _SELECT + " WHERE s.needs_plan = 1 ORDER BY s.user_id LIMIT ?", (limit,)
        )
        return [ScheduleRow.from_row(r) for r in rows]

    async def save_plans(self, updates: Sequence[PlanUpdate]) -> int:
        """Store new next occurrences; a schedule changed meanwhile keeps needing a plan."""
        if not updates:
            return 0
        changed = 0
        async with self._db.transaction():
            for u in updates:
                changed += await self._db.execute(
                    "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?,"
                    " last_local_date = COALESCE(?, last_local_date), needs_plan = 0"
                    " WHERE user_id = ? AND plan_version = ?",
                    (_epoch(u.next_due_at), _iso(u.due_local_date), _iso(u.last_local_date),
                     u.user_id, u.plan_version),
                )
        return changed

    async def due(self, now: datetime, limit: int) -> list[ScheduleRow]:
        """Planned schedules whose next nudge is at or before ``now``, earliest first."""
        rows = await self._db.fetch_all(
            _SELECT + " WHERE s.next_due_at <= ? AND s.needs_plan = 0"
            " ORDER BY s.next_due_at LIMIT ?",
            (to_epoch(now), limit),
        )
        return [ScheduleRow.from_row(r) for r in rows]

    async def get(self, user_id: int) -> ScheduleRow | None:
        """One learner's schedule."""
        row = await self._db.fetch_one(_SELECT + " WHERE s.user_id = ?", (user_id,))
        return None if row is None else ScheduleRow.from_row(row)

    # -------------------------------------------------------------------- ledger
    async def claim(
        self,
        plan: PlanUpdate,
        *,
        kind: str,
        planned_at: datetime,
        now: datetime,
        announce_backoff: bool,
        reminders: Sequence[Reminder] = (),
    ) -> int | None:
        """Write the ledger row ('sending') and advance the schedule, right before the send;
        the deadline reminders the nudge carries are written with it, pointing at that row.

        Returns the ledger id, 0 when the learner already has a row for that local day (do
        not send), or None when the schedule changed since it was read (re-plan first).
        """
        local_date = plan.last_local_date
        assert local_date is not None
        greatest = self._db.dialect.greatest
        async with self._db.transaction():
            advanced = await self._db.execute(
                "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?,"
                " last_local_date = ?,"
                " last_sent_date = CASE WHEN ? = 'nudge' THEN ? ELSE last_sent_date END,"
                " ignored_streak = ignored_streak + CASE WHEN ? = 'nudge' THEN 1 ELSE 0 END,"
                f" backoff_announced = {greatest('backoff_announced', '?')}"  # noqa: S608
                " WHERE user_id = ? AND plan_version = ? AND needs_plan = 0",
                (_epoch(plan.next_due_at), _iso(plan.due_local_date), local_date.isoformat(),
                 kind, local_date.isoformat(), kind, int(announce_backoff), plan.user_id,
                 plan.plan_version),
            )
            if advanced == 0:
                return None
            rows = await self._db.returning(
                "INSERT INTO nudge_ledger (user_id, local_date, kind, status, planned_at,"
                " created_at) VALUES (?, ?, ?, 'sending', ?, ?)"
                " ON CONFLICT (user_id, local_date) DO NOTHING RETURNING id",
                (plan.user_id, local_date.isoformat(), kind, to_epoch(planned_at),
                 to_epoch(now)),
            )
            if rows and reminders:
                await self._db.execute_many(
                    "INSERT INTO deadline_reminders (user_id, cohort_id, course_key, kind,"
                    " deadline, ledger_id, local_date, created_at) VALUES (?, ?, ?, ?, ?, ?,"
                    " ?, ?) ON CONFLICT (user_id, cohort_id, course_key, kind, deadline)"
                    " DO NOTHING",
                    [(plan.user_id, r.cohort_id, r.course_key, r.kind, r.deadline,
                      rows[0]["id"], local_date.isoformat(), to_epoch(now))
                     for r in reminders],
                )
        return int(rows[0]["id"]) if rows else 0

    async def unclaim(self, ledger_id: int, before: ScheduleRow) -> bool:
        """Undo a claim whose request was never made: drop the 'sending' row and put the
        schedule back as it was in ``before`` (the nudge is due again)."""
        async with self._db.transaction():
            if not await self._db.execute(
                    "DELETE FROM nudge_ledger WHERE id = ? AND status = 'sending'", (ledger_id,)):
                return False
            await self._db.write(
                "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?,"
                " last_local_date = ?, last_sent_date = ?, ignored_streak = ?,"
                " backoff_announced = ? WHERE user_id = ? AND plan_version = ?",
                (_epoch(before.next_due_at), _iso(before.due_local_date),
                 _iso(before.last_local_date), _iso(before.last_sent_date),
                 before.ignored_streak, int(before.backoff_announced), before.user_id,
                 before.plan_version),
            )
        return True

    async def mark(
        self,
        ledger_id: int,
        *,
        status: str,
        now: datetime,
        message_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Record the outcome of a claimed send."""
        if status == "sent":
            await self._db.write(
                "UPDATE nudge_ledger SET status = 'sent', message_id = ?, reason = ?,"
                " sent_at = ? WHERE id = ? AND status = 'sending'",
                (message_id, reason, to_epoch(now), ledger_id),
            )
            return
        greatest = self._db.dialect.greatest
        async with self._db.transaction():
            rows = await self._db.returning(
                "UPDATE nudge_ledger SET status = ?, message_id = ?, reason = ?"
                " WHERE id = ? AND status = 'sending' RETURNING user_id, kind",
                (status, message_id, reason, ledger_id),
            )
            if rows and rows[0]["kind"] == "nudge":
                # Not delivered, so it cannot have been ignored.
                await self._db.write(
                    "UPDATE nudge_schedules SET"
                    f" ignored_streak = {greatest('0', 'ignored_streak - 1')}"  # noqa: S608
                    " WHERE user_id = ?",
                    (rows[0]["user_id"],),
                )

    async def record_skips(
        self,
        plans: Sequence[PlanUpdate],
        entries: Iterable[tuple[int, date, str, str | None, datetime]],
        now: datetime,
    ) -> None:
        """Advance skipped schedules and write their ledger rows ('missed', 'skipped_learned')."""
        async with self._db.transaction():
            await self._db.execute_many(
                "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?,"
                " last_local_date = COALESCE(?, last_local_date)"
                " WHERE user_id = ? AND plan_version = ? AND needs_plan = 0",
                [
                    (_epoch(p.next_due_at), _iso(p.due_local_date), _iso(p.last_local_date),
                     p.user_id, p.plan_version)
                    for p in plans
                ],
            )
            await self._db.execute_many(
                "INSERT INTO nudge_ledger (user_id, local_date, status, reason, planned_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id, local_date) DO NOTHING",
                [
                    (user_id, day.isoformat(), status, reason, to_epoch(planned), to_epoch(now))
                    for user_id, day, status, reason, planned in entries
                ],
            )

    async def reminders(self, user_id: int) -> list[Reminder]:
        """The deadline reminders and path notices recorded for a learner, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT cohort_id, course_key, kind, deadline FROM deadline_reminders"
            " WHERE user_id = ? ORDER BY created_at, local_date",
            (user_id,),
        )
        return [Reminder(int(r["cohort_id"]), r["course_key"], r["kind"], r["deadline"])
                for r in rows]

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        """One learner's ledger, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM nudge_ledger WHERE user_id = ? ORDER BY local_date", (user_id,)
        )
        return [LedgerEntry.from_row(r) for r in rows]

    async def uncertain(self) -> list[LedgerEntry]:
        """Rows whose send may or may not have reached the learner (never resent)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM nudge_ledger WHERE status IN ('sending', 'uncertain')"
            " ORDER BY created_at"
        )
        return [LedgerEntry.from_row(r) for r in rows]

    async def counts(self, local_date: date | None = None) -> dict[str, int]:
        """Ledger rows by status, for one local day or all of them."""
        if local_date is None:
            rows = await self._db.fetch_all(
                "SELECT status, COUNT(*) AS n FROM nudge_ledger GROUP BY status"
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT status, COUNT(*) AS n FROM nudge_ledger WHERE local_date = ?"
                " GROUP BY status",
                (local_date.isoformat(),),
            )
        return {row["status"]: row["n"] for row in rows}

    # ------------------------------------------------------------ learner wishes
    async def _set(self, user_id: int, assignments: str, params: tuple[object, ...]) -> bool:
        cursor_rows = await self._db.execute(
            f"UPDATE nudge_schedules SET {assignments}, needs_plan = 1,"  # noqa: S608
            " plan_version = plan_version + 1 WHERE user_id = ?",
            (*params, user_id),
        )
        return cursor_rows > 0

    async def pause(self, user_id: int, until: datetime) -> bool:
        """No nudges before ``until``."""
        return await self._set(user_id, "paused_until = ?", (to_epoch(until),))

    async def stop(self, user_id: int) -> bool:
        """No nudges until resumed."""
        return await self._set(user_id, "stopped = 1", ())

    async def resume(self, user_id: int) -> bool:
        """Nudges again: not stopped, not paused, not backed off."""
        return await self._set(
            user_id, "stopped = 0, paused_until = NULL, ignored_streak = 0,"
            " backoff_announced = 0", ()
        )

    async def set_days(self, user_id: int, days: str) -> bool:
        """'daily' or 'weekdays' (users.nudge_days; the trigger re-plans)."""
        if days not in ("daily", "weekdays"):
            raise ValueError(f"unknown nudge days {days!r}")
        changed = await self._db.execute(
            "UPDATE users SET nudge_days = ? WHERE id = ?", (days, user_id)
        )
        return changed > 0

    async def set_timezone(self, user_id: int, timezone: str) -> bool:
        """The learner's IANA time zone (users.timezone; the trigger re-plans)."""
        changed = await self._db.execute(
            "UPDATE users SET timezone = ? WHERE id = ?", (timezone, user_id)
        )
        return changed > 0
