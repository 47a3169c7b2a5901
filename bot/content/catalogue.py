"""The courses in memory: the ``Catalogue`` and the one holder the services read it from.

A catalogue is immutable. An uploaded pack makes a new catalogue; ``CatalogueHolder.replace``
puts it in place, and every service that holds the holder sees it at its next read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .models import Course, Lesson, Question


@dataclass(frozen=True)
class Catalogue:
    """All loaded courses, ordered by (`order`, `key`), with lookups by key."""

    courses: tuple[Course, ...]
    _by_key: dict[str, Course] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.courses})

    @classmethod
    def of(cls, courses: Iterable[Course]) -> Catalogue:
        """A catalogue of these courses, sorted by (order, key)."""
        return cls(tuple(sorted(courses, key=lambda c: (c.order, c.key))))

    def __iter__(self) -> Iterator[Course]:
        return iter(self.courses)

    def __len__(self) -> int:
        return len(self.courses)

    def course(self, key: str) -> Course | None:
        """The course with this key, or None (e.g. a stale key from an old button)."""
        return self._by_key.get(key)

    def lesson(self, course_key: str, lesson_key: str) -> Lesson | None:
        """The lesson, or None if the course or lesson does not exist."""
        course = self.course(course_key)
        return course.lesson(lesson_key) if course else None

    def question(self, course_key: str, lesson_key: str, question_key: str) -> Question | None:
        """The quiz question, or None if any of the keys does not exist."""
        lesson = self.lesson(course_key, lesson_key)
        return lesson.question(question_key) if lesson else None

    def lessons_total(self, course_key: str) -> int:
        """Number of lessons in the course (0 for an unknown course)."""
        course = self.course(course_key)
        return len(course.lessons) if course else 0

    def next_lesson(self, course_key: str, lesson_key: str | None) -> Lesson | None:
        """The lesson after `lesson_key` (the first one for None), or None at the end."""
        course = self.course(course_key)
        if course is None:
            return None
        if lesson_key is None:
            return course.lessons[0]
        index = course.lesson_index(lesson_key)
        if index is None or index + 1 >= len(course.lessons):
            return None
        return course.lessons[index + 1]


class CatalogueHolder:
    """The live catalogue: the one place it changes at run time (after an upload)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._current = catalogue

    @property
    def current(self) -> Catalogue:
        """The catalogue in force now."""
        return self._current

    def replace(self, catalogue: Catalogue) -> None:
        """Make ``catalogue`` the one in force (one assignment: readers see old or new)."""
        self._current = catalogue

    # The holder reads like the catalogue it holds, so callers need not unwrap it.
    def __iter__(self) -> Iterator[Course]:
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)

    def course(self, key: str) -> Course | None:
        """The course with this key in the current catalogue."""
        return self._current.course(key)

    def lesson(self, course_key: str, lesson_key: str) -> Lesson | None:
        """The lesson in the current catalogue."""
        return self._current.lesson(course_key, lesson_key)

    def question(self, course_key: str, lesson_key: str, question_key: str) -> Question | None:
        """The question in the current catalogue."""
        return self._current.question(course_key, lesson_key, question_key)

    @property
    def courses(self) -> tuple[Course, ...]:
        """The current catalogue's courses, in order."""
        return self._current.courses
