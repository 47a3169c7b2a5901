"""Streaks: consecutive local days with a finished lesson or review item."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

_DAY = timedelta(days=1)


def current_streak(days: Iterable[date], today: date) -> int:
    """Consecutive active days ending today, or ending yesterday if nothing happened yet today.

    The streak is not broken until today is over, so a learner who learned every day up to
    yesterday still sees their streak in the morning.
    """
    active = set(days)
    day = today if today in active else today - _DAY
    count = 0
    while day in active:
        count += 1
        day -= _DAY
    return count


def longest_streak(days: Iterable[date]) -> int:
    """The longest run of consecutive active days."""
    best = run = 0
    previous: date | None = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == _DAY else 1
        best = max(best, run)
        previous = day
    return best
