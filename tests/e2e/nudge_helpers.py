"""Helpers for the nudge end-to-end tests: seed learners in the bot's database, follow ticks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage import to_epoch
from bot.storage.nudges import NudgeRepository
from bot.wiring import Services

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
TIMES = ("06:30", "07:30", "12:30", "19:30", "05:00")


@dataclass(frozen=True)
class Seed:
    """A learner to put straight into the database."""

    user_id: int
    nudge_time: str = "07:30"
    days: str = "daily"
    timezone: str = "Asia/Jakarta"
    language: str = "id"


async def seed_learners(services: Services, seeds: Iterable[Seed], now: datetime) -> None:
    """Onboarded learners with these nudge settings, in one transaction."""
    stamp = to_epoch(now)
    await services.db.execute_many(
        "INSERT INTO users (id, first_name, language, telegram_language, timezone, nudge_time,"
        " nudge_days, onboarded_at, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        [
            (s.user_id, f"Learner {s.user_id}", s.language, s.language, s.timezone,
             s.nudge_time, s.days, stamp, stamp, stamp)
            for s in seeds
        ],
    )


def next_weekday(after: datetime, weekday: int, hour_utc: int) -> datetime:
    """The first ``weekday`` (0 = Monday) at ``hour_utc``:00 UTC at least a day after ``after``."""
    day = (after + timedelta(days=1)).astimezone(UTC).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour_utc, tzinfo=UTC)


async def nudges_settled(services: Services, timeout: float = 120.0) -> None:  # noqa: ASYNC109
    """Wait until a tick saw the current time and no nudge is due or being sent."""
    runner = services.nudge_runner
    assert runner is not None
    start = runner.ticks
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    now = services.clock.now()
    while True:
        if runner.ticks >= start + 2 and not runner.busy:
            due = await NudgeRepository(services.db).due(now, 1)
            dirty = await services.db.fetch_value(
                "SELECT COUNT(*) FROM nudge_schedules WHERE needs_plan = 1")
            if not due and not dirty:
                return
        if loop.time() > deadline:
            raise TimeoutError("nudges did not settle")
        await asyncio.sleep(0.05)


def nudges_in(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot messages that are nudges (they carry the learn:go button)."""
    out = []
    for message in messages:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(b.get("callback_data") == "learn:go" for row in rows for b in row):
            out.append(message)
    return out
