"""When a broadcast goes out: the days and preset hours offered, and typed times.

All in the trainer's own zone: today and the six days after it, the preset hours still ahead,
or a typed ``DD-MM HH:MM`` / ``DD-MM-YYYY HH:MM``. A moment already past is refused
(``WhenError('past')``), a text that is not a time too (``WhenError('format')``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

#: The hours a trainer can pick with one press; any other time is typed.
PRESET_HOURS = (clock_time(7), clock_time(9), clock_time(12), clock_time(15), clock_time(19))
#: Days offered as buttons: today and the six after it (the rest of the week, and a bit).
DAYS_AHEAD = 7
#: A typed date without a year that is this long past means next year (typing 02-01 in
#: late December), not a moment in the past.
_NEXT_YEAR_AFTER = timedelta(days=183)
_TYPED = re.compile(
    r"^\s*(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}))?\s+(\d{1,2})[:.](\d{2})\s*$")


class WhenError(ValueError):
    """A scheduling time that cannot be used: ``reason`` is 'format' or 'past'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def local_moment(day: date, at: clock_time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=zone)


def schedule_days(now: datetime, zone: ZoneInfo) -> list[date]:
    """The days offered as buttons: today (local) and the ones after it."""
    today = now.astimezone(zone).date()
    return [today + timedelta(days=n) for n in range(DAYS_AHEAD)]


def preset_times(day: date, now: datetime, zone: ZoneInfo) -> list[clock_time]:
    """The preset hours of ``day`` still ahead of ``now``."""
    return [at for at in PRESET_HOURS if local_moment(day, at, zone) > now]


def future(moment: datetime, now: datetime) -> datetime:
    """``moment`` if it is still ahead; WhenError('past') otherwise."""
    if moment <= now:
        raise WhenError("past")
    return moment


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A typed ``DD-MM HH:MM`` or ``DD-MM-YYYY HH:MM`` (also with / or . and 09.00) in
    ``zone``; WhenError('format') when it is not one, WhenError('past') when it has passed.

    Without a year it is this year's date, or next year's when this year's is half a year
    past (02-01 typed in December)."""
    match = _TYPED.match(text)
    if match is None:
        raise WhenError("format")
    day, month, year, hour, minute = match.groups()
    this_year = now.astimezone(zone).year
    try:
        at = clock_time(int(hour), int(minute))
        moment = local_moment(date(int(year or this_year), int(month), int(day)), at, zone)
        if year is None and moment < now - _NEXT_YEAR_AFTER:
            moment = local_moment(date(this_year + 1, int(month), int(day)), at, zone)
    except ValueError:  # 31-02, 25:00, ...
        raise WhenError("format") from None
    return future(moment, now)
