"""A learner's own nudge settings: pause, stop, resume, days and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.scheduling import rules
from bot.storage.nudges import NudgeRepository, ScheduleRow

# The zones a learner can pick in the menu (Indonesia's three), by short code.
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
PAUSE_CHOICES = (1, 3, 7)

State = Literal["on", "paused", "stopped", "not_ready"]


@dataclass(frozen=True, slots=True)
class NudgeStatus:
    """What the menu shows about a learner's nudges."""

    state: State
    days: rules.Days
    at: time
    zone: str
    resumes_on: date | None = None  # paused: the local date nudges start again


class NudgePreferences:
    """Changes a learner makes to their nudges; each returns the new status."""

    def __init__(self, repo: NudgeRepository, clock: Clock, settings: Settings) -> None:
        self._repo = repo
        self._clock = clock
        self._default_zone = ZoneInfo(settings.locale.timezone)
        self._default_time = settings.learning.default_nudge_time

    def _status(self, row: ScheduleRow) -> NudgeStatus:
        zone = rules.zone_of(row.timezone, self._default_zone)
        days: rules.Days = "weekdays" if row.nudge_days == "weekdays" else "daily"
        at = rules.parse_hhmm(row.nudge_time, self._default_time)
        now = self._clock.now()
        if not row.onboarded:
            return NudgeStatus("not_ready", days, at, zone.key)
        if row.stopped:
            return NudgeStatus("stopped", days, at, zone.key)
        if row.paused_until is not None and row.paused_until > now:
            resumes = row.paused_until.astimezone(zone).date()
            return NudgeStatus("paused", days, at, zone.key, resumes_on=resumes)
        return NudgeStatus("on", days, at, zone.key)

    async def status(self, user_id: int) -> NudgeStatus | None:
        """The learner's current nudge status (None for an unknown user)."""
        row = await self._repo.get(user_id)
        return None if row is None else self._status(row)

    async def pause(self, user_id: int, days: int) -> NudgeStatus | None:
        """No nudges for ``days`` days: until local midnight after that many full days."""
        if days not in PAUSE_CHOICES:
            raise ValueError(f"pause must be one of {PAUSE_CHOICES} days")
        row = await self._repo.get(user_id)
        if row is None:
            return None
        zone = rules.zone_of(row.timezone, self._default_zone)
        await self._repo.pause(user_id, rules.pause_end(self._clock.now(), days, zone))
        return await self.status(user_id)

    async def stop(self, user_id: int) -> NudgeStatus | None:
        """No nudges until the learner resumes them."""
        await self._repo.stop(user_id)
        return await self.status(user_id)

    async def resume(self, user_id: int) -> NudgeStatus | None:
        """Nudges again, daily rhythm restored."""
        await self._repo.resume(user_id)
        return await self.status(user_id)

    async def set_days(self, user_id: int, days: rules.Days) -> NudgeStatus | None:
        """Every day or Monday-Friday."""
        await self._repo.set_days(user_id, days)
        return await self.status(user_id)

    async def set_zone(self, user_id: int, code: str) -> NudgeStatus | None:
        """WIB, WITA or WIT by short code ('wib', 'wita', 'wit')."""
        await self._repo.set_timezone(user_id, ZONES[code])
        return await self.status(user_id)
