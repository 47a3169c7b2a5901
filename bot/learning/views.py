"""What the learning service returns: plain dataclasses the handlers render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bot.content.models import Course, Lesson, Localized, Question
from bot.learning.path import Programme
from bot.learning.progress import CourseProgress
from bot.storage.certificates import CertificateRecord


@dataclass(frozen=True, slots=True)
class LessonView:
    """A lesson message: which card of which lesson."""

    course: Course
    lesson: Lesson
    card: int

    @property
    def cards(self) -> int:
        """How many cards the lesson has."""
        return len(self.lesson.cards)

    @property
    def last(self) -> bool:
        """True on the lesson's last card (the quiz button shows there)."""
        return self.card >= self.cards - 1


@dataclass(frozen=True, slots=True)
class Recall:
    """The learner's predicted recall of a course: the mean FSRS retrievability of its items."""

    course: Course
    value: float  # 0..1
    items: int


@dataclass(frozen=True, slots=True)
class QuestionView:
    """A question message in a lesson quiz or a review."""

    kind: str  # "quiz" or "review"
    course: Course
    lesson: Lesson
    question: Question
    position: int
    total: int  # reviews: how many are left for today (the daily limit counted)
    recall: Recall | None = None  # reviews: the predicted recall of the question's course
    # The options as shown: option ids (pack indices) in display order. Answers name an
    # option by its id, so shuffling never changes what an answer means.
    order: tuple[int, ...] = ()

    @property
    def shown(self) -> tuple[int, ...]:
        """The option ids in display order (pack order when none was drawn)."""
        return self.order or tuple(range(len(self.question.options)))

    @property
    def is_last(self) -> bool:
        """True for the quiz's last question."""
        return self.position >= self.total - 1


@dataclass(frozen=True, slots=True)
class LessonFinished:
    """The end of a lesson quiz."""

    course: Course
    lesson: Lesson
    right: int
    total: int
    completed_now: bool
    minutes: int
    course_done: bool
    next_lesson: Lesson | None
    certificate: CertificateRecord | None = None  # set when this completion issued it


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What one answer did."""

    view: QuestionView
    chosen: int
    correct: bool
    scored: bool  # the first answer to this question: it counts for accuracy
    finished: LessonFinished | None = None
    chat_id: int | None = None  # where the question was shown
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReviewIdle:
    """Nothing to review now; ``next_due`` is when the next item falls due (None: empty)."""

    next_due: datetime | None
    reviewed_now: int = 0
    recall: Recall | None = None  # of the current course, when it has review items
    limit: int | None = None  # set when the daily limit stops the reviews for today
    waiting: int = 0  # with ``limit``: the due items left for the coming days


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """Everything /progress shows."""

    courses: list[CourseProgress]
    right: int
    answered: int
    current_streak: int
    longest_streak: int
    minutes_year: int
    jp_year: Decimal
    jp_target: int
    certificates: list[CertificateRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LearnerSnapshot:
    """A learner at a glance: for the dashboard and the daily nudge.

    ``course_*``/``lesson_*`` describe what /learn would open next (None when every course is
    complete); titles are Localized so the caller picks the language. ``programmes`` are the
    learner's cohorts with their paths; ``today`` is the learner's local date (deadlines are
    read against it).
    """

    user_id: int
    course_key: str | None
    course_title: Localized | None
    lesson_key: str | None
    lesson_title: Localized | None
    lesson_minutes: int | None
    reviews_due: int
    streak: int
    learned_today: bool
    minutes_year: int
    jp_year: Decimal
    jp_target: int
    today: date | None = None
    programmes: tuple[Programme, ...] = ()
