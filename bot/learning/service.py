"""``LearningService``: the learner journey's rules behind one façade (no telegram here)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.config import LearningSettings
from bot.content.loader import Catalogue
from bot.content.models import Course
from bot.learning import progress as prog
from bot.learning import quiz, review
from bot.learning.reports import ReportsMixin
from bot.learning.views import (
    AnswerOutcome,
    LessonFinished,
    LessonView,
    QuestionView,
    ReviewIdle,
)
from bot.storage.certificates import CertificateRepository
from bot.storage.db import Database
from bot.storage.learning import LearnerPrefs, LearningRepository
from bot.storage.reviews import ReviewRepository
from bot.storage.sessions import PollRef, Session, SessionRepository
from bot.storage.users import User, UserRepository

logger = logging.getLogger(__name__)

OnboardingHook = Callable[[User], Awaitable[None]]


class LearningService(ReportsMixin):
    """Courses, lessons, quizzes, reviews, progress and certificates for one learner at a time."""

    def __init__(
        self, db: Database, catalogue: Catalogue, clock: Clock, settings: LearningSettings,
        default_timezone: str,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.settings = settings
        self.default_timezone = default_timezone
        self.users = UserRepository(db)
        self.records = LearningRepository(db)
        self.reviews = ReviewRepository(db)
        self.sessions = SessionRepository(db)
        self.certificates = CertificateRepository(db)
        # Called with the learner after onboarding finishes (e.g. to join a cohort invite).
        self.onboarding_hooks: list[OnboardingHook] = []

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Switch to reloaded packs: progress is keyed by course and lesson key, so it stays."""
        self.catalogue = catalogue

    # ------------------------------------------------------------------ helpers

    def zone(self, user: User) -> ZoneInfo:
        """The learner's time zone (the default one if theirs is unknown)."""
        try:
            return ZoneInfo(user.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(self.default_timezone)

    def today(self, user: User) -> date:
        """The learner's local date now."""
        return self.clock.now().astimezone(self.zone(user)).date()

    def local(self, user: User, moment: datetime) -> datetime:
        """``moment`` in the learner's zone."""
        return moment.astimezone(self.zone(user))

    async def _owned(self, user: User, session_id: int, kinds: tuple[str, ...],
                     message_id: int | None) -> Session | None:
        """The session if ``user`` owns it, it is open, of a wanted kind and on this message."""
        session = await self.sessions.get(session_id)
        if (session is None or session.user_id != user.id or session.kind not in kinds
                or session.closed):
            return None
        if session.message_id is not None and message_id != session.message_id:
            return None
        return session

    # ------------------------------------------------------------------ onboarding

    async def finish_onboarding(self, user: User, nudge_time: str) -> User:
        """Save the nudge time, mark onboarding done and run the hooks once."""
        await self.records.set_nudge(user.id, time=nudge_time)
        first = not user.onboarded
        await self.users.mark_onboarded(user.id, self.clock.now())
        fresh = await self.users.get(user.id)
        assert fresh is not None
        if first:
            await self.run_onboarding_hooks(fresh)
        return fresh

    async def run_onboarding_hooks(self, user: User) -> None:
        """Call every onboarding hook with ``user``; one failing hook does not stop the rest.

        Called once when onboarding finishes, and again when an onboarded learner arrives with
        a new /start payload (an invite link), so the hooks see the payload either way.
        """
        for hook in list(self.onboarding_hooks):
            try:
                await hook(user)
            except Exception:
                logger.exception("onboarding hook %r failed", hook)

    async def prefs(self, user_id: int) -> LearnerPrefs:
        """The learner's current course and nudge settings."""
        return await self.records.prefs(user_id)

    async def set_nudge(self, user_id: int, *, time: str | None = None,
                        days: str | None = None) -> None:
        """Change the nudge time ('HH:MM') and/or days ('daily' | 'weekdays')."""
        if days is not None and days not in ("daily", "weekdays"):
            raise ValueError(f"unknown nudge days {days!r}")
        await self.records.set_nudge(user_id, time=time, days=days)

    # ------------------------------------------------------------------ courses

    async def course_list(self, user: User) -> list[prog.CourseProgress]:
        """Every course with the learner's progress, in course order."""
        rows = await self.records.lessons(user.id)
        by_course: dict[str, dict[str, object]] = {}
        for row in rows:
            by_course.setdefault(row.course_key, {})[row.lesson_key] = row
        return [
            prog.course_progress(course, by_course.get(course.key, {}))  # type: ignore[arg-type]
            for course in self.catalogue
        ]

    async def course_progress(self, user: User, course: Course) -> prog.CourseProgress:
        """The learner's progress in one course."""
        rows = await self.records.lessons(user.id, course.key)
        return prog.course_progress(course, {r.lesson_key: r for r in rows})

    async def current_course_key(self, user: User) -> str | None:
        """The course the learner chose last (if it still exists)."""
        key = (await self.records.prefs(user.id)).current_course
        return key if key and self.catalogue.course(key) else None

    async def choose_course(self, user: User, course_key: str) -> prog.CourseProgress | None:
        """Make a course current; None if there is no such course."""
        course = self.catalogue.course(course_key)
        if course is None:
            return None
        await self.records.set_current_course(user.id, course.key)
        return await self.course_progress(user, course)

    async def resolve(self, user: User) -> prog.CourseProgress | None:
        """Where /learn continues: the current course unless complete, else the first open one."""
        current = await self.current_course_key(user)
        courses = await self.course_list(user)
        for item in courses:
            if item.course.key == current and not item.complete:
                return item
        return next((item for item in courses if not item.complete), None)

    # ------------------------------------------------------------------ lessons

    async def open_next_lesson(self, user: User) -> LessonView | None:
        """Open the next lesson of the current course; None when every course is complete."""
        target = await self.resolve(user)
        if target is None or target.next_lesson is None:
            return None
        if await self.current_course_key(user) != target.course.key:
            await self.records.set_current_course(user.id, target.course.key)
        return await self.open_lesson(user, target.course.key, target.next_lesson.key)

    async def open_lesson(self, user: User, course_key: str, lesson_key: str) -> LessonView | None:
        """A new lesson session, resuming at the furthest card seen."""
        course = self.catalogue.course(course_key)
        lesson = course.lesson(lesson_key) if course else None
        if course is None or lesson is None:
            return None
        now = self.clock.now()
        row = await self.records.lesson(user.id, course_key, lesson_key)
        card = 0 if row is None or row.completed else min(row.furthest_card, len(lesson.cards) - 1)
        await self.sessions.close_open(user.id, "lesson", now)
        session = await self.sessions.create(user.id, "lesson", course_key, lesson_key,
                                             now=now, position=card)
        row = await self.records.see_card(user.id, course_key, lesson_key, card,
                                          card == len(lesson.cards) - 1, now)
        return LessonView(session.id, course, lesson, card, row.completed)

    async def turn_card(self, user: User, session_id: int, position: int,
                        message_id: int | None) -> LessonView | None:
        """Show the card after ``position``; None for a stale or foreign press."""
        session = await self._owned(user, session_id, ("lesson",), message_id)
        lesson = (self.catalogue.lesson(session.course_key, session.lesson_key)
                  if session else None)
        if session is None or lesson is None or session.position != position:
            return None
        card = position + 1
        if card >= len(lesson.cards):
            return None
        now = self.clock.now()
        if not await self.sessions.advance(session.id, position, to=card, now=now):
            return None
        row = await self.records.see_card(user.id, session.course_key, session.lesson_key, card,
                                          card == len(lesson.cards) - 1, now)
        course = self.catalogue.course(session.course_key)
        assert course is not None
        return LessonView(session.id, course, lesson, card, row.completed)

    async def lesson_of(self, user: User, session_id: int) -> LessonView | None:
        """The lesson a session of this learner shows (for its discussion prompt)."""
        session = await self.sessions.get(session_id)
        if session is None or session.user_id != user.id or session.kind != "lesson":
            return None
        course = self.catalogue.course(session.course_key)
        lesson = course.lesson(session.lesson_key) if course else None
        if course is None or lesson is None:
            return None
        return LessonView(session.id, course, lesson, session.position, False)

    # ------------------------------------------------------------------ quiz

    def _question_view(self, session: Session) -> QuestionView | None:
        course = self.catalogue.course(session.course_key)
        lesson = course.lesson(session.lesson_key) if course else None
        if course is None or lesson is None:
            return None
        if session.kind == "review":
            question = lesson.question(session.question_key or "")
            if question is None:
                return None
            return QuestionView(session.id, "review", course, lesson, question, 0, 1)
        if session.position >= len(lesson.quiz):
            return None
        return QuestionView(session.id, "quiz", course, lesson, lesson.quiz[session.position],
                            session.position, len(lesson.quiz))

    async def start_quiz(self, user: User, lesson_session_id: int,
                         message_id: int | None) -> QuestionView | None:
        """Start the quiz of the lesson a lesson message shows (from its last card)."""
        parent = await self._owned(user, lesson_session_id, ("lesson",), message_id)
        lesson = (self.catalogue.lesson(parent.course_key, parent.lesson_key)
                  if parent else None)
        if parent is None or lesson is None or parent.position != len(lesson.cards) - 1:
            return None
        running = await self.sessions.child(parent.id)
        if running is not None and not running.closed:
            return None  # this lesson message's quiz is already on screen
        now = self.clock.now()
        await self.sessions.close_open(user.id, "quiz", now)
        session = await self.sessions.create(user.id, "quiz", parent.course_key,
                                             parent.lesson_key, now=now, parent_id=parent.id)
        return self._question_view(session)

    async def next_question(self, user: User, session_id: int, position: int,
                            message_id: int | None) -> QuestionView | None:
        """Move an answered quiz to its next question; None for a stale press."""
        session = await self._owned(user, session_id, ("quiz",), message_id)
        if session is None or session.position != position or not session.answered:
            return None
        lesson = self.catalogue.lesson(session.course_key, session.lesson_key)
        if lesson is None or position + 1 >= len(lesson.quiz):
            return None
        if not await self.sessions.advance(session.id, position, to=position + 1,
                                           now=self.clock.now()):
            return None
        fresh = await self.sessions.get(session.id)
        return self._question_view(fresh) if fresh else None

    async def attach(self, session_id: int, chat_id: int, message_id: int) -> None:
        """Record the message that shows a session (its buttons are only valid there)."""
        await self.sessions.attach(session_id, chat_id, message_id)

    async def attach_poll(self, view: QuestionView, user: User, poll_id: str, chat_id: int,
                          message_id: int) -> None:
        """Record a native quiz poll sent for ``view``."""
        await self.sessions.attach(view.session_id, chat_id, message_id)
        await self.sessions.add_poll(
            PollRef(poll_id, view.session_id, user.id, view.position, chat_id, message_id),
            self.clock.now(),
        )

    async def answer_poll(self, user: User, poll_id: str,
                          option_ids: list[int]) -> AnswerOutcome | None:
        """Grade a poll answer; None if the poll is not this learner's current question."""
        ref = await self.sessions.poll(poll_id)
        if ref is None or ref.user_id != user.id or len(option_ids) != 1:
            return None
        return await self.answer(user, ref.session_id, ref.position, option_ids[0],
                                 ref.message_id)

    async def answer(self, user: User, session_id: int, position: int, option: int,
                     message_id: int | None) -> AnswerOutcome | None:
        """Grade an answer to the question a session shows; None for a stale or forged press."""
        session = await self._owned(user, session_id, ("quiz", "review"), message_id)
        if session is None or session.position != position or session.answered:
            return None
        view = self._question_view(session)
        if view is None or not quiz.valid_option(view.question, option):
            return None
        now = self.clock.now()
        if not await self.sessions.advance(session.id, position, answered=True, now=now):
            return None
        correct = quiz.is_correct(view.question, option)
        keys = (user.id, session.course_key, session.lesson_key, view.question.key)
        record = await self.records.record_answer(*keys, chosen=option, correct=correct,
                                                  source="lesson" if view.kind == "quiz"
                                                  else "review", now=now)
        if correct:
            await self.sessions.add_correct(session.id)
        zone = self.zone(user)
        if view.kind == "review":
            item = await self.reviews.get(*keys)
            state = review.Sm2State(item.repetitions, item.interval_days, item.ease,
                                    item.lapses) if item else review.Sm2State()
            state = review.sm2(state, review.grade_quality(correct))
            await self._save_review(keys, state, now, zone, reviewed=True)
            await self.records.add_review_activity(user.id, self.today(user))
            return AnswerOutcome(view, option, correct, scored=False, chat_id=session.chat_id,
                                 message_id=session.message_id)
        if record.is_first:
            await self._save_review(keys, review.after_lesson_answer(correct), now, zone,
                                    reviewed=False)
        finished = None
        if view.is_last:
            await self.sessions.close(session.id, now)
            finished = await self._finish_lesson(user, session, view)
        return AnswerOutcome(view, option, correct, record.is_first, finished,
                             chat_id=session.chat_id, message_id=session.message_id)

    async def _save_review(self, keys: tuple[int, str, str, str], state: review.Sm2State,
                           now: datetime, zone: ZoneInfo, *, reviewed: bool) -> None:
        await self.reviews.save(
            *keys, repetitions=state.repetitions, interval_days=state.interval_days,
            ease=state.ease, lapses=state.lapses,
            due_at=review.due_at(now, state.interval_days, zone), now=now, reviewed=reviewed,
        )

    async def _finish_lesson(self, user: User, session: Session,
                             view: QuestionView) -> LessonFinished:
        """Complete the lesson if its cards were read and every question has a scored answer."""
        course, lesson = view.course, view.lesson
        fresh = await self.sessions.get(session.id)
        right = fresh.correct if fresh else 0
        scored = await self.records.first_answers(user.id, course.key, lesson.key)
        completed_now = False
        if all(q.key in scored for q in lesson.quiz):
            completed_now = await self.records.complete_lesson(
                user.id, course.key, lesson.key, lesson.minutes, self.clock.now(),
                self.today(user),
            )
        state = await self.course_progress(user, course)
        certificate = None
        if completed_now and state.complete:
            certificate = await self._certify(user, course)
        return LessonFinished(course, lesson, right, len(lesson.quiz), completed_now,
                              lesson.minutes if completed_now else 0, state.complete,
                              state.next_lesson, certificate)

    # ------------------------------------------------------------------ review

    async def start_review(self, user: User) -> QuestionView | ReviewIdle:
        """The oldest due review item as a new session, or when the next one falls due."""
        now = self.clock.now()
        await self.sessions.close_open(user.id, "review", now)
        while True:
            due = await self.reviews.due(user.id, now, limit=20)
            for item in due:
                lesson = self.catalogue.lesson(item.course_key, item.lesson_key)
                if lesson is None or lesson.question(item.question_key) is None:
                    # The question left the pack: it cannot be asked any more.
                    await self.reviews.delete(user.id, item.course_key, item.lesson_key,
                                              item.question_key)
                    continue
                session = await self.sessions.create(
                    user.id, "review", item.course_key, item.lesson_key, now=now,
                    question_key=item.question_key,
                )
                view = self._question_view(session)
                assert view is not None
                total = await self.reviews.count_due(user.id, now)
                return QuestionView(view.session_id, "review", view.course, view.lesson,
                                    view.question, 0, total)
            if len(due) < 20:
                return ReviewIdle(await self.reviews.next_due_at(user.id, now))

    async def next_review(self, user: User, session_id: int,
                          message_id: int | None) -> QuestionView | ReviewIdle | None:
        """After an answered review item: the next due one; None for a stale press."""
        session = await self._owned(user, session_id, ("review",), message_id)
        if session is None or not session.answered:
            return None
        await self.sessions.close(session.id, self.clock.now())
        return await self.start_review(user)

    async def reviews_due(self, user: User) -> int:
        """How many review items are due now."""
        return await self.reviews.count_due(user.id, self.clock.now())
