"""SM-2 spaced repetition, with due dates at the start of a day in the learner's zone.

Grades: a right answer is quality 4, a wrong one quality 1 (SuperMemo's SM-2, 0-5 scale).
Intervals are 1 day, 6 days, then the previous interval times the ease factor; a wrong answer
resets the repetitions and the interval to 1 day; the ease never drops below 1.3.

Due times are the local midnight that starts the due day: an item answered on Monday with a
1-day interval is due from Tuesday 00:00 in the learner's zone, so "due tomorrow" means the whole
of tomorrow however late it was answered today, and a daily nudge in the morning sees it.

A lesson quiz puts every question in the queue. Reading the lesson is the first exposure, so a
right first answer counts as the first successful recall and the item starts at the second SM-2
step (6 days); a wrong one starts over (due the next local day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUALITY_RIGHT = 4
QUALITY_WRONG = 1
EASE_START = 2.5
EASE_FLOOR = 1.3
FIRST_INTERVAL = 1
SECOND_INTERVAL = 6


@dataclass(frozen=True, slots=True)
class Sm2State:
    """An item's SM-2 state."""

    repetitions: int = 0
    interval_days: int = 0
    ease: float = EASE_START
    lapses: int = 0


def sm2(state: Sm2State, quality: int) -> Sm2State:
    """The state after one answer of ``quality`` (0-5)."""
    if not 0 <= quality <= 5:
        raise ValueError("quality must be 0-5")
    miss = 5 - quality
    ease = max(EASE_FLOOR, state.ease + 0.1 - miss * (0.08 + miss * 0.02))
    ease = round(ease, 4)
    if quality < 3:
        return Sm2State(0, FIRST_INTERVAL, ease, state.lapses + 1)
    repetitions = state.repetitions + 1
    if repetitions == 1:
        interval = FIRST_INTERVAL
    elif repetitions == 2:
        interval = SECOND_INTERVAL
    else:
        interval = max(1, round(state.interval_days * state.ease))
    return Sm2State(repetitions, interval, ease, state.lapses)


def grade_quality(correct: bool) -> int:
    """SM-2 quality for a right or wrong answer."""
    return QUALITY_RIGHT if correct else QUALITY_WRONG


def after_lesson_answer(correct: bool) -> Sm2State:
    """The state a lesson-quiz question enters the queue with (see the module docstring)."""
    if correct:
        return sm2(Sm2State(repetitions=1, interval_days=FIRST_INTERVAL), QUALITY_RIGHT)
    return sm2(Sm2State(), QUALITY_WRONG)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def due_at(now: datetime, interval_days: int, zone: ZoneInfo) -> datetime:
    """Start of the local day ``interval_days`` after today's local date."""
    today = now.astimezone(zone).date()
    return local_midnight(today + timedelta(days=interval_days), zone)
