"""Course progress: which lessons count, which comes next, how far a learner is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.content.models import Course, Lesson
from bot.storage.learning import LessonProgress


@dataclass(frozen=True, slots=True)
class CourseProgress:
    """A learner's completion of one course, against the course as it is loaded now."""

    course: Course
    done: int
    total: int
    next_lesson: Lesson | None
    started: bool

    @property
    def complete(self) -> bool:
        """True when every current lesson is completed."""
        return self.done >= self.total


def completed_keys(rows: Iterable[LessonProgress]) -> set[str]:
    """Keys of the completed lessons among ``rows``."""
    return {r.lesson_key for r in rows if r.completed}


def next_lesson(course: Course, completed: set[str]) -> Lesson | None:
    """The first lesson of the course, in course order, that is not completed yet."""
    return next((x for x in course.lessons if x.key not in completed), None)


def course_progress(course: Course, rows: Mapping[str, LessonProgress]) -> CourseProgress:
    """Progress in ``course`` from the learner's rows for it (keyed by lesson key).

    Lessons removed from the pack no longer count; their rows simply have no lesson to match.
    """
    done_keys = {key for key, row in rows.items() if row.completed}
    done = sum(1 for x in course.lessons if x.key in done_keys)
    return CourseProgress(
        course=course,
        done=done,
        total=len(course.lessons),
        next_lesson=next_lesson(course, done_keys),
        started=any(x.key in rows for x in course.lessons),
    )
