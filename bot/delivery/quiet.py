"""Quiet hours of bulk sends: the local hours in which a recipient is not messaged unasked.

A window is applied in each recipient's own zone (a learner's, or the bot's default zone for a
group): ``held_until`` says when a send that falls inside it may go instead. Windows that start
later than they end run across midnight (21:00-06:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window of local time, [start, end), in which bulk sends wait."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours need a start and an end that differ")

    def contains(self, local: time) -> bool:
        """True when the local time of day falls inside the window."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def held_until(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When the window that holds ``moment`` ends (UTC), or None if it is not quiet."""
        local = moment.astimezone(zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return None
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:  # evening part: ends tomorrow
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)


def zone_of(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone a recipient's stored name stands for (the default when unknown or none)."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return default
