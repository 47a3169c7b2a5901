"""The courses in memory: the ``Catalogue`` and the one holder the services read it from.

A catalogue is immutable. A published pack makes a new catalogue; ``CatalogueHolder.replace``
puts it in place, and every service that holds the holder sees it at its next read.

A course version on trial is live for one cohort only. The holder keeps, besides the published
catalogue, the trial courses of each such cohort; ``use`` sets the catalogue a learner's
cohorts see as the one the rest of the task handling their update reads (a context variable,
like the unit of work, so no other update reads it). Without any trial every read is the
published catalogue, at no cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
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
    """The live catalogue: the one place it changes at run time (after a publish or a trial)."""

    def __init__(self, catalogue: Catalogue,
                 trials: Mapping[int, Mapping[str, Course]] | None = None) -> None:
        self._published = catalogue
        self._trials: Mapping[int, Mapping[str, Course]] = trials or {}

    @property
    def current(self) -> Catalogue:
        """The catalogue in force now, for this update (a trial cohort's, after ``use``)."""
        scope = _scope.get()
        if scope is not None and scope[0] is self:
            return scope[1]
        return self._published

    @property
    def published(self) -> Catalogue:
        """The catalogue everyone outside a trial sees."""
        return self._published

    @property
    def trials(self) -> Mapping[int, Mapping[str, Course]]:
        """Cohort id → course key → the version that cohort is trying."""
        return self._trials

    def replace(self, catalogue: Catalogue,
                trials: Mapping[int, Mapping[str, Course]] | None = None) -> None:
        """Make ``catalogue`` (and ``trials``) the ones in force (one assignment each)."""
        self._published = catalogue
        self._trials = trials or {}

    def for_cohorts(self, cohort_ids: Iterable[int]) -> Catalogue:
        """The published catalogue with the trial courses of these cohorts over it."""
        trying = {key: course for cohort in sorted(set(cohort_ids))
                  for key, course in self._trials.get(cohort, {}).items()}
        if not trying:
            return self._published
        courses = {c.key: c for c in self._published}
        courses.update(trying)
        return Catalogue.of(courses.values())

    def use(self, catalogue: Catalogue | None) -> None:
        """Read ``catalogue`` for the rest of this task (None: the published one)."""
        _scope.set(None if catalogue is None or catalogue is self._published
                   else (self, catalogue))

    # The holder reads like the catalogue it holds, so callers need not unwrap it.
    def __iter__(self) -> Iterator[Course]:
        return iter(self.current)

    def __len__(self) -> int:
        return len(self.current)

    def course(self, key: str) -> Course | None:
        """The course with this key in the current catalogue."""
        return self.current.course(key)

    def lesson(self, course_key: str, lesson_key: str) -> Lesson | None:
        """The lesson in the current catalogue."""
        return self.current.lesson(course_key, lesson_key)

    def question(self, course_key: str, lesson_key: str, question_key: str) -> Question | None:
        """The question in the current catalogue."""
        return self.current.question(course_key, lesson_key, question_key)

    @property
    def courses(self) -> tuple[Course, ...]:
        """The current catalogue's courses, in order."""
        return self.current.courses


#: The catalogue the task handling an update reads, when a trial applies to its learner.
_scope: ContextVar[tuple[CatalogueHolder, Catalogue] | None] = ContextVar(
    "sinau_catalogue", default=None)
