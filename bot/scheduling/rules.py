"""When a learner's next nudge is due: pure functions of their settings and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Days = Literal["daily", "weekdays"]
_DAY = timedelta(days=1)
# Back-off never spaces nudges further than a week apart.
MAX_GAP_DAYS = 7


@dataclass(frozen=True, slots=True)
class Window:
    """The local hours in which nudges may go out: [start, end), wrapping past midnight."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """True if a nudge may go out at local time ``moment``."""
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def place(self, wanted: time) -> time:
        """The nudge time actually used: ``wanted``, or the window's start if outside it."""
        return wanted if self.contains(wanted) else self.start


@dataclass(frozen=True, slots=True)
class PlanInput:
    """Everything that decides a learner's next nudge."""

    onboarded: bool
    active: bool
    stopped: bool
    nudge_time: time
    days: Days
    zone: ZoneInfo
    paused_until: datetime | None = None
    last_local_date: date | None = None  # latest handled occurrence (sent, skipped, missed)
    last_sent_date: date | None = None  # latest nudge actually sent
    ignored_streak: int = 0  # nudges since the learner's last update

    @property
    def eligible(self) -> bool:
        """True if this learner gets nudges at all."""
        return self.onboarded and self.active and not self.stopped


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One planned nudge: the moment (UTC) and the learner's local date."""

    at: datetime
    local_date: date


def backoff_level(ignored_streak: int, backoff_after: int) -> int:
    """0 = daily; 1 = every 2nd day; 2 = every 3rd day; ... after ``backoff_after`` ignored."""
    return max(0, ignored_streak - backoff_after + 1)


def gap_days(ignored_streak: int, backoff_after: int) -> int:
    """Days between two nudges at this level of back-off (1 when not backed off)."""
    return min(MAX_GAP_DAYS, 1 + backoff_level(ignored_streak, backoff_after))


def allowed_day(day: date, days: Days) -> bool:
    """True if ``day`` is one of the learner's nudge days."""
    return days == "daily" or day.weekday() < 5


def next_occurrence(
    plan: PlanInput, after: datetime, window: Window, backoff_after: int
) -> Occurrence | None:
    """The learner's first nudge strictly after ``after``, or None when they get none."""
    if not plan.eligible:
        return None
    zone = plan.zone
    at_time = window.place(plan.nudge_time)
    day = after.astimezone(zone).date()
    if plan.last_local_date is not None:
        day = max(day, plan.last_local_date + _DAY)
    if plan.last_sent_date is not None:
        gap = gap_days(plan.ignored_streak, backoff_after)
        day = max(day, plan.last_sent_date + timedelta(days=gap))
    if plan.paused_until is not None:
        day = max(day, plan.paused_until.astimezone(zone).date())
    for _ in range(16):
        if allowed_day(day, plan.days):
            moment = datetime.combine(day, at_time, tzinfo=zone).astimezone(UTC)
            if moment > after and (plan.paused_until is None or moment >= plan.paused_until):
                return Occurrence(moment, day)
        day += _DAY
    return None  # unreachable: within 16 days there is always a working day after any pause


def pause_end(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The end of an N-day pause: midnight (local) after N full days from now."""
    local = now.astimezone(zone)
    end_day = local.date() + timedelta(days=days + 1)
    return datetime.combine(end_day, time(0, 0), tzinfo=zone).astimezone(UTC)


def parse_hhmm(value: str | None, default: time) -> time:
    """'HH:MM' as a time; ``default`` when missing or malformed."""
    if not value:
        return default
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return default


def zone_of(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The learner's ZoneInfo; ``default`` for a missing or unknown name."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return default
