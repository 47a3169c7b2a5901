"""The cohort is the learner's path: each cohort's courses in the trainer's order, with their
deadlines, and where /learn continues on them.

A course on a path is finished when its final evaluation is passed (``course_results``), not
when its lessons are done: the evaluation is the path's next step then. A learner in several
cohorts follows each cohort's path in its order; across cohorts, /learn continues the next
course whose deadline comes first (a course without a deadline after those with one, then the
cohort joined first), so the most pressing work is done first without ever skipping ahead
inside one cohort's path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.i18n import SafeHtml, t
from bot.learning.progress import CourseProgress
from bot.storage.learning import PathEntry


@dataclass(frozen=True, slots=True)
class PathStep:
    """One course of a cohort's path, as the learner stands in it."""

    progress: CourseProgress
    passed: bool  # the final evaluation was passed: the course is finished
    deadline: date | None
    assigned_at: datetime | None  # None for courses assigned before that was kept
    joined_at: datetime  # when the learner joined the cohort

    @property
    def course_key(self) -> str:
        """The course's key."""
        return self.progress.course.key


@dataclass(frozen=True, slots=True)
class Programme:
    """A cohort the learner belongs to, with its path."""

    cohort_id: int
    name: str
    steps: tuple[PathStep, ...]

    @property
    def next_step(self) -> PathStep | None:
        """The first course of the path not finished yet (None when all are)."""
        return next((s for s in self.steps if not s.passed), None)


def parse_day(value: str | None) -> date | None:
    """A stored local date ('YYYY-MM-DD') as a date; None when missing or malformed."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def programmes(path: Iterable[PathEntry], courses: Mapping[str, CourseProgress],
               passed: frozenset[str]) -> tuple[Programme, ...]:
    """The learner's cohorts with their paths, from the path rows (in cohort, then path order)
    and the learner's progress by course key; courses no longer in the catalogue are left
    out."""
    grouped: dict[int, tuple[str, list[PathStep]]] = {}
    for entry in path:
        progress = courses.get(entry.course_key)
        name, steps = grouped.setdefault(entry.cohort_id, (entry.cohort_name, []))
        if progress is None:
            continue
        steps.append(PathStep(progress, entry.course_key in passed, parse_day(entry.deadline),
                              entry.assigned_at, entry.joined_at))
    return tuple(Programme(cohort_id, name, tuple(steps))
                 for cohort_id, (name, steps) in grouped.items())


def next_on_path(paths: Iterable[Programme], *, lessons_left: bool = False) -> PathStep | None:
    """Where /learn continues on the learner's paths: each cohort's first unfinished course,
    the earliest deadline first (none last), then the first cohort; None when every path is
    finished. With ``lessons_left`` only courses with a lesson still to do count (a lesson is
    wanted, not the evaluation)."""
    candidates: list[tuple[bool, date, int, PathStep]] = []
    for order, programme in enumerate(paths):
        step = next((s for s in programme.steps if not s.passed
                     and (not lessons_left or not s.progress.complete)), None)
        if step is not None:
            candidates.append((step.deadline is None, step.deadline or date.max, order, step))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[:3])[3]


def day_month(lang: str, day: date, today: date) -> str:
    """'30 Jun' (with the year when it is not this year's)."""
    months = t(lang, "nudge.month_names").split("|")
    text = f"{day.day} {months[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def deadline_text(lang: str, deadline: date, today: date) -> SafeHtml:
    """A deadline as the learner reads it on their local ``today``, absolute and relative:
    '30 Jun (3 hari lagi)', '30 Jun (besok)', '30 Jun (hari ini)', '30 Jun (lewat 2 hari)'."""
    left = (deadline - today).days
    when = day_month(lang, deadline, today)
    if left > 1:
        return t(lang, "path.deadline_days", date=when, days=left)
    if left == 1:
        return t(lang, "path.deadline_tomorrow", date=when)
    if left == 0:
        return t(lang, "path.deadline_today", date=when)
    return t(lang, "path.deadline_overdue", date=when, days=-left)
