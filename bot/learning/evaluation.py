"""The final evaluation (post-test) of a course: mastery before credit.

A course counts — JP credited, certificate issued — only when the learner passes its final
evaluation: questions drawn from the course's pool (``learning.evaluation_questions``, all of
them if the pool is smaller), in a random order, each with its options in an order that puts
the correct one at every position in turn (``quiz.balanced_orders``), graded against the
pack's ``pass_mark``. A failed attempt puts the missed questions into the learner's review
queue at once and opens a retake after ``learning.evaluation_cooldown_minutes``. The lesson
quizzes stay practice.

Mixed into ``LearningService`` (as ``ReportsMixin`` is), which provides the attributes and
course helpers declared here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.content.models import Course, Question
from bot.learning import quiz
from bot.learning.jp import format_jp
from bot.learning.views import QuestionView
from bot.storage.certificates import CertificateRecord
from bot.storage.evaluations import (
    CourseResult,
    EvaluationRepository,
    PlannedQuestion,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from zoneinfo import ZoneInfo

    from bot.clock import Clock
    from bot.config import LearningSettings
    from bot.content.catalogue import CatalogueHolder
    from bot.learning.progress import CourseProgress
    from bot.learning.service import Shown
    from bot.storage.db import Database
    from bot.storage.learning import LearningRepository
    from bot.storage.reviews import ReviewRepository
    from bot.storage.users import User

Refusal = Literal["unknown", "lessons", "cooldown", "passed"]


@dataclass(frozen=True, slots=True)
class EvaluationStatus:
    """Where a learner stands in a course's final evaluation (for /progress)."""

    course: Course
    lessons_done: int
    lessons_total: int
    pass_mark: int
    attempts: int
    best_score: int | None
    passed: bool
    passed_on: date | None
    retake_at: datetime | None  # a failed attempt's cooldown, while it lasts
    open_attempt: bool
    questions: int  # how many questions an attempt asks

    @property
    def ready(self) -> bool:
        """Every lesson done: the evaluation can be taken."""
        return self.lessons_done >= self.lessons_total


@dataclass(frozen=True, slots=True)
class EvaluationRefused:
    """Why an evaluation cannot start now."""

    reason: Refusal
    status: EvaluationStatus | None = None


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """A finished attempt: the score, pass or fail, and what follows."""

    course: Course
    right: int
    total: int
    score: int
    pass_mark: int
    passed: bool
    first_pass: bool            # this attempt made the course count (JP credited now)
    minutes: int                # credited now (0 unless first_pass)
    best_score: int
    missed_lessons: tuple[str, ...]  # lesson keys with a wrong answer, in course order
    retake_at: datetime | None
    certificate: CertificateRecord | None


@dataclass(frozen=True, slots=True)
class EvaluationAnswered:
    """An answer recorded: the next question (shown in place), or the result."""

    next_view: QuestionView | None
    result: EvaluationResult | None


def score_of(right: int, total: int) -> int:
    """The score in whole percent, rounded down (70 % means at least 70 %)."""
    return (100 * right) // total if total else 0


class EvaluationMixin:
    """The final evaluation's rules (see the module docstring)."""

    _db: Database
    catalogue: CatalogueHolder
    clock: Clock
    settings: LearningSettings
    _records: LearningRepository
    _reviews: ReviewRepository
    _evaluations: EvaluationRepository

    async def course_progress(self, user: User, course: Course) -> CourseProgress:
        """The learner's lesson progress in a course (LearningService)."""
        raise NotImplementedError

    def today(self, user: User) -> date:
        """The learner's local date (LearningService)."""
        raise NotImplementedError

    def zone(self, user: User) -> ZoneInfo:
        """The learner's time zone (LearningService)."""
        raise NotImplementedError

    async def _certify(self, user: User, course: Course,
                       result: CourseResult) -> CertificateRecord | None:
        """Issue the certificate of a passed course (ReportsMixin)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ status

    async def evaluation_status(self, user: User, course: Course) -> EvaluationStatus:
        """Lessons done, attempts, best score, passed or not, and when a retake opens."""
        state = await self.course_progress(user, course)
        result = await self._evaluations.result(user.id, course.key)
        retake_at = None
        if result is not None and not result.passed:
            opens = self._retake_opens(result.last_at)
            retake_at = opens if opens > self.clock.now() else None
        open_attempt = await self._evaluations.open_attempt(user.id, course.key)
        return EvaluationStatus(
            course=course, lessons_done=state.done, lessons_total=state.total,
            pass_mark=course.pass_mark, attempts=result.attempts if result else 0,
            best_score=result.best_score if result else None,
            passed=bool(result and result.passed),
            passed_on=result.passed_on if result else None, retake_at=retake_at,
            open_attempt=open_attempt is not None, questions=self._draw_size(course),
        )

    async def course_results(self, user: User) -> dict[str, CourseResult]:
        """The learner's results by course key."""
        return {r.course_key: r for r in await self._evaluations.results(user.id)}

    # ------------------------------------------------------------------ attempts

    def _draw_size(self, course: Course) -> int:
        """How many questions an attempt asks: the setting, or the whole pool if smaller."""
        pool = sum(len(lesson.quiz) for lesson in course.lessons)
        return min(pool, self.settings.evaluation_questions)

    def format_minutes_jp(self, minutes: int, lang: str) -> str:
        """Minutes as JP for ``lang`` ('1,5')."""
        return format_jp(minutes, self.settings.minutes_per_jp, lang)

    def _draw(self, course: Course) -> tuple[PlannedQuestion, ...]:
        """An attempt's questions: a random draw from the pool, options in balanced orders."""
        rng = random.SystemRandom()
        pool = [(lesson.key, question) for lesson in course.lessons for question in lesson.quiz]
        drawn = rng.sample(pool, self._draw_size(course))
        orders = quiz.balanced_orders([q for _, q in drawn], rng)
        return tuple(PlannedQuestion(lesson, q.key, order)
                     for (lesson, q), order in zip(drawn, orders, strict=True))

    def _view(self, course: Course, plan: tuple[PlannedQuestion, ...],
              position: int) -> QuestionView | None:
        """Question ``position`` of a plan (None if the pack lost it meanwhile)."""
        planned = plan[position]
        lesson = course.lesson(planned.lesson_key)
        question = lesson.question(planned.question_key) if lesson else None
        if lesson is None or question is None or not _order_fits(question, planned.order):
            return None
        return QuestionView("evaluation", course, lesson, question, position, len(plan),
                            order=planned.order)

    def _retake_opens(self, failed_at: datetime) -> datetime:
        """When a retake opens after an attempt failed at ``failed_at``."""
        return failed_at + timedelta(minutes=self.settings.evaluation_cooldown_minutes)

    async def start_evaluation(
        self, user: User, course_key: str,
        present: Callable[[QuestionView], Awaitable[Shown]],
    ) -> QuestionView | EvaluationRefused:
        """Show the first question of a new attempt, or the current one of an open attempt
        (a learner who left mid-test continues it: leaving never erases a bad start)."""
        course = self.catalogue.course(course_key)
        if course is None:
            return EvaluationRefused("unknown")
        status = await self.evaluation_status(user, course)
        if not status.ready:
            return EvaluationRefused("lessons", status)
        if status.passed:
            return EvaluationRefused("passed", status)
        now = self.clock.now()
        open_attempt = await self._evaluations.open_attempt(user.id, course.key)
        view = (self._view(course, open_attempt.plan, open_attempt.position)
                if open_attempt is not None else None)
        if open_attempt is not None and view is not None and not open_attempt.answered:
            shown = await present(view)
            await self._evaluations.rebind(open_attempt.id, shown.chat_id, shown.message_id)
            return view
        if status.retake_at is not None:
            return EvaluationRefused("cooldown", status)
        plan = self._draw(course)
        view = self._view(course, plan, 0)
        assert view is not None
        shown = await present(view)
        async with self._db.transaction():
            await self._evaluations.abandon_open(user.id, course.key, now)
            await self._evaluations.create(user.id, course.key, plan, course.pass_mark,
                                           chat_id=shown.chat_id, message_id=shown.message_id,
                                           now=now)
        return view

    async def answer_evaluation(self, user: User, chat_id: int, message_id: int,
                                position: int, option: int) -> EvaluationAnswered | None:
        """Record an answer to the question a message shows; None for a stale or forged
        press. The next question follows at once (no right/wrong until the end: the same
        pool serves the retake)."""
        attempt = await self._evaluations.on_message(chat_id, message_id)
        if (attempt is None or attempt.user_id != user.id or attempt.position != position
                or attempt.answered):
            return None
        course = self.catalogue.course(attempt.course_key)
        view = (self._view(course, attempt.plan, attempt.position)
                if course is not None else None)
        if course is None or view is None or not quiz.valid_option(view.question, option):
            return None
        correct = quiz.is_correct(view.question, option)
        now = self.clock.now()
        if not view.is_last:
            async with self._db.transaction():
                if not await self._evaluations.record_answer(attempt, option, correct, now):
                    return None
                await self._evaluations.advance(attempt.id, position)
            return EvaluationAnswered(self._view(course, attempt.plan, position + 1), None)
        right = attempt.correct + int(correct)
        total = len(attempt.plan)
        score = score_of(right, total)
        passed = score >= attempt.pass_mark
        rows = [r for r in await self._records.lessons(user.id, course.key)
                if course.lesson(r.lesson_key) is not None]
        started = (min(r.started_at for r in rows).astimezone(self.zone(user)).date()
                   if rows else None)
        minutes = sum(r.minutes_credited for r in rows if r.completed)
        async with self._db.transaction():
            if not await self._evaluations.record_answer(attempt, option, correct, now):
                return None
            if not await self._evaluations.finish(attempt.id, score, passed, now):
                return None
            before = await self._evaluations.result(user.id, course.key)
            result = await self._evaluations.record_result(
                user.id, course.key, score=score, passed=passed, now=now,
                today=self.today(user), started_on=started, minutes=minutes)
        missed = await self._evaluations.missed(attempt.id)
        first_pass = passed and not (before is not None and before.passed)
        if not passed:
            await self._review_now(user, course, missed, now)
        missed_lessons = tuple(x.key for x in course.lessons
                               if any(lesson == x.key for lesson, _ in missed))
        retake_at = None if passed else self._retake_opens(now)
        certificate = await self._certify(user, course, result) if first_pass else None
        return EvaluationAnswered(None, EvaluationResult(
            course=course, right=right, total=total, score=score, pass_mark=attempt.pass_mark,
            passed=passed, first_pass=first_pass, minutes=result.minutes if first_pass else 0,
            best_score=result.best_score, missed_lessons=missed_lessons, retake_at=retake_at,
            certificate=certificate,
        ))

    async def _review_now(self, user: User, course: Course, missed: list[tuple[str, str]],
                          now: datetime) -> None:
        """Make the missed questions due in the learner's review queue now."""
        for lesson_key, question_key in missed:
            await self._reviews.make_due(user.id, course.key, lesson_key, question_key, now)


def _order_fits(question: Question, order: tuple[int, ...]) -> bool:
    """True if a stored option order still matches the question (the pack may have changed)."""
    return sorted(order) == list(range(len(question.options)))
