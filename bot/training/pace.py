"""Who is behind schedule on a cohort's course: one pure rule, read by /stats and broadcasts.

A course with no deadline has nobody behind, and neither has a course the catalogue no longer
holds (there is nothing to finish). A member who passed the course's final evaluation is never
behind. Otherwise a member is behind when the deadline (a local date) has passed, or when the
share of the course's lessons they finished is below the share of time elapsed between their
start and the deadline, with one lesson of slack: behind when ``done + 1 < total x elapsed``.

The start is the later of the day the course was assigned to the cohort and the day the member
joined (both local dates; a course assigned before that day was recorded starts when they
joined). On the deadline day all lessons are expected, so more than one lesson left is behind;
a member whose start is on or after the deadline day is judged as on the deadline day. Lessons
counted are the ones that exist in the live catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Lessons a member may lag behind the even pace before they count as behind.
SLACK_LESSONS = 1


@dataclass(frozen=True, slots=True)
class Pace:
    """One member's standing in one course, as the rule needs it."""

    lessons_total: int        # lessons of the course in the live catalogue
    lessons_done: int         # of those, the ones the member finished
    passed: bool              # the course's final evaluation was passed
    start: date               # local date: the later of assignment and joining


def start_of(assigned_on: date | None, joined_on: date) -> date:
    """When a member's clock on a course starts: the later of assignment and joining."""
    return joined_on if assigned_on is None else max(assigned_on, joined_on)


def expected_lessons(pace: Pace, deadline: date, today: date) -> float:
    """The lessons an even pace from the start would have finished by ``today``."""
    span = (deadline - pace.start).days
    elapsed = 1.0 if span <= 0 else min(1.0, max(0.0, (today - pace.start).days / span))
    return pace.lessons_total * elapsed


def is_behind(pace: Pace, deadline: date | None, today: date) -> bool:
    """True when the member is behind schedule on the course (see the module docstring)."""
    if deadline is None or pace.lessons_total == 0 or pace.passed:
        return False
    if today > deadline:
        return True
    return pace.lessons_done + SLACK_LESSONS < expected_lessons(pace, deadline, today)
