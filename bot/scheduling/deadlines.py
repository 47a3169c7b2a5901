"""Deadline reminders and path notices: what a learner's nudge tells about their cohorts' paths.

They ride the daily nudge (one message, at the learner's own time, never while paused or
stopped) and are each told once: a row per (learner, cohort, course, kind, deadline) is
written with the nudge's ledger row, before the request leaves (bot.storage.nudges). For a
course on a path that the learner has not finished (its final evaluation not passed):

- ``week`` from the local day 7 days before its deadline, ``day`` from the day before (or on
  the deadline day itself), and ``overdue`` once on the first nudge after it. A daily learner
  gets each on its own day; a learner without a nudge that day (paused, weekdays only, backed
  off after ignored nudges) gets it with their next nudge while it still applies, so it is
  not lost: ``week`` while more than one day is left and ``day`` was not told, ``day`` up to
  and on the deadline day.
- ``new`` when the cohort got the course after the learner joined it, and ``moved`` when its
  deadline is no longer the one the learner was told (or knew when first seen: ``seen``,
  recorded silently). A deadline that changes gets its reminders again, for the new date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.i18n import SafeHtml, t
from bot.learning.path import deadline_text
from bot.storage.nudges import Reminder

Kind = Literal["week", "day", "overdue", "new", "moved", "seen"]

#: Days before the deadline from which the ``week`` and the ``day`` reminder are due.
WEEK = 7
DAY = 1
#: What a line says when one course has several notices on one day: the first of these.
_PRIORITY: tuple[Kind, ...] = ("new", "moved", "overdue", "day", "week")
_KNOWN: frozenset[str] = frozenset({"new", "moved", "seen"})


@dataclass(frozen=True, slots=True)
class PathCourse:
    """A course on one of the learner's cohort paths, as a nudge needs it."""

    cohort_id: int
    cohort_name: str
    course_key: str
    title: str  # in the learner's language
    deadline: date | None
    finished: bool  # its final evaluation was passed
    assigned_at: datetime | None  # None for courses assigned before that was kept
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell (or, ``seen``, to record silently) about a course on a path."""

    course: PathCourse
    kind: Kind

    @property
    def record(self) -> Reminder:
        """The ledger row that makes this notice happen once."""
        deadline = self.course.deadline
        return Reminder(self.course.cohort_id, self.course.course_key, self.kind,
                        deadline.isoformat() if deadline else "")

    @property
    def silent(self) -> bool:
        """True for a row that is recorded but not said."""
        return self.kind == "seen"


def due_notices(courses: Iterable[PathCourse], told: Sequence[Reminder],
                today: date) -> list[Notice]:
    """What the learner's nudge on their local day ``today`` tells about their paths.

    ``told`` is every row already recorded for the learner, oldest first.
    """
    done = {(r.cohort_id, r.course_key, r.kind, r.deadline) for r in told}
    known: dict[tuple[int, str], str] = {}  # the deadline last told or seen, per course
    for r in told:
        if r.kind in _KNOWN:
            known[(r.cohort_id, r.course_key)] = r.deadline
    notices: list[Notice] = []
    for course in courses:
        if course.finished:
            continue
        where = (course.cohort_id, course.course_key)
        deadline = course.deadline.isoformat() if course.deadline else ""

        def fresh(kind: Kind, course: PathCourse = course, deadline: str = deadline) -> bool:
            return (course.cohort_id, course.course_key, kind, deadline) not in done

        if where not in known:
            joined_later = (course.assigned_at is not None
                            and course.assigned_at > course.joined_at)
            notices.append(Notice(course, "new" if joined_later else "seen"))
        elif known[where] != deadline and fresh("moved"):
            notices.append(Notice(course, "moved"))
        if course.deadline is None:
            continue
        left = (course.deadline - today).days
        if DAY < left <= WEEK and fresh("week") and fresh("day"):
            notices.append(Notice(course, "week"))
        if 0 <= left <= DAY and fresh("day"):
            notices.append(Notice(course, "day"))
        if left < 0 and fresh("overdue"):
            notices.append(Notice(course, "overdue"))
    return notices


def notice_lines(lang: str, notices: Iterable[Notice], today: date) -> list[SafeHtml]:
    """One line per course with something to say (the most important notice of it)."""
    by_course: dict[tuple[int, str], list[Notice]] = {}
    for notice in notices:
        if not notice.silent:
            by_course.setdefault((notice.course.cohort_id, notice.course.course_key),
                                 []).append(notice)
    lines = []
    for group in by_course.values():
        notice = min(group, key=lambda n: _PRIORITY.index(n.kind))
        lines.append(_line(lang, notice, today))
    return lines


def _line(lang: str, notice: Notice, today: date) -> SafeHtml:
    course = notice.course
    names = {"cohort": course.cohort_name, "course": course.title}
    if course.deadline is None:
        key = "path.notice_new" if notice.kind == "new" else "path.notice_removed"
        return t(lang, key, **names)
    when = deadline_text(lang, course.deadline, today)
    key = {"new": "path.notice_new_deadline", "moved": "path.notice_moved",
           "overdue": "path.remind_overdue", "day": "path.remind_day",
           "week": "path.remind_week"}[notice.kind]
    return t(lang, key, deadline=when, **names)
