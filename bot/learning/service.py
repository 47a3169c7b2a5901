"""``LearningService``: the learner journey's rules behind one façade (no telegram here).

A lesson card, quiz question or review question is shown first and recorded after: the caller
passes a ``present`` function that shows the view (sends or edits a message, or sends a poll)
and says where it went (``Shown``). The session then belongs to that message, and everything
the step changes is written in one unit of work. A press finds its session by the message it
was pressed on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.config import LearningSettings
from bot.content.catalogue import CatalogueHolder
from bot.content.models import Course, Lesson, Question
from bot.learning import path, quiz, review
from bot.learning import progress as prog
from bot.learning.evaluation import EvaluationMixin, EvaluationStatus
from bot.learning.reports import ReportsMixin
from bot.learning.views import (
    AnswerOutcome,
    LessonFinished,
    LessonView,
    QuestionView,
    Recall,
    ReviewIdle,
)
from bot.storage.certificates import CertificateRepository
from bot.storage.db import Database
from bot.storage.evaluations import EvaluationRepository
from bot.storage.learning import Journey, LearnerPrefs, LearningRepository, LessonProgress
from bot.storage.reviews import ReviewItem, ReviewLogEntry, ReviewRepository, Schedule
from bot.storage.sessions import Session, SessionRepository
from bot.storage.users import User, UserRepository

logger = logging.getLogger(__name__)

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Shown:
    """Where a view went: its message (and the poll's id, for a native quiz poll)."""

    chat_id: int
    message_id: int
    poll_id: str | None = None


Present = Callable[[V], Awaitable[Shown]]


class LearningService(ReportsMixin, EvaluationMixin):
    """Courses, lessons, quizzes, reviews, progress and certificates for one learner at a time."""

    def __init__(
        self, db: Database, catalogue: CatalogueHolder, clock: Clock,
        settings: LearningSettings, *, default_timezone: str, users: UserRepository,
        records: LearningRepository, reviews: ReviewRepository, sessions: SessionRepository,
        certificates: CertificateRepository, evaluations: EvaluationRepository,
        issuer: str = "",
    ) -> None:
        self._db = db
        self.catalogue = catalogue
        self.clock = clock
        self.settings = settings
        self.default_timezone = default_timezone
        self._users = users
        self._records = records
        self._reviews = reviews
        self._sessions = sessions
        self._certificates = certificates
        self._evaluations = evaluations
        self.issuer = issuer  # the institution printed on certificates

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

    async def _owned(self, user: User, chat_id: int, message_id: int,
                     kinds: tuple[str, ...]) -> Session | None:
        """The open session a message of this learner shows, if it is of a wanted kind."""
        session = await self._sessions.on_message(chat_id, message_id)
        if session is None or session.user_id != user.id or session.kind not in kinds:
            return None
        return session

    # ------------------------------------------------------------------ preferences

    async def prefs(self, user_id: int) -> LearnerPrefs:
        """The learner's current course and nudge settings."""
        return await self._records.prefs(user_id)

    async def set_nudge(self, user_id: int, *, time: str | None = None,
                        days: str | None = None) -> None:
        """Change the nudge time ('HH:MM') and/or days ('daily' | 'weekdays')."""
        if days is not None and days not in ("daily", "weekdays"):
            raise ValueError(f"unknown nudge days {days!r}")
        await self._records.set_nudge(user_id, time=time, days=days)

    def retention(self, user: User) -> float:
        """The learner's FSRS desired retention (their /settings choice, else the default)."""
        return user.desired_retention or self.settings.review_retention

    async def set_retention(self, user: User, percent: int) -> User | None:
        """Choose a desired retention in whole percent (85, 90 or 95); None if not offered."""
        value = next((r for r in review.RETENTION_CHOICES if round(r * 100) == percent), None)
        if value is None:
            return None
        return await self._users.update_profile(user.id, desired_retention=value)

    # ------------------------------------------------------------------ courses

    def _progress_of(self, rows: list[LessonProgress]) -> list[prog.CourseProgress]:
        by_course: dict[str, dict[str, LessonProgress]] = {}
        for row in rows:
            by_course.setdefault(row.course_key, {})[row.lesson_key] = row
        return [prog.course_progress(course, by_course.get(course.key, {}))
                for course in self.catalogue]

    async def course_list(self, user: User) -> list[prog.CourseProgress]:
        """Every course with the learner's progress, in course order."""
        return self._progress_of(await self._records.lessons(user.id))

    async def course_progress(self, user: User, course: Course) -> prog.CourseProgress:
        """The learner's progress in one course."""
        rows = await self._records.lessons(user.id, course.key)
        return prog.course_progress(course, {r.lesson_key: r for r in rows})

    def current_course_key(self, user: User) -> str | None:
        """The course the learner chose last (if it still exists)."""
        key = user.current_course
        return key if key and self.catalogue.course(key) else None

    async def choose_course(self, user: User, course_key: str) -> prog.CourseProgress | None:
        """Make a course current; None if there is no such course."""
        course = self.catalogue.course(course_key)
        if course is None:
            return None
        await self._records.set_current_course(user.id, course.key)
        return await self.course_progress(user, course)

    def _paths_of(self, journey: Journey
                  ) -> tuple[list[prog.CourseProgress], tuple[path.Programme, ...]]:
        """Every course's progress (catalogue order) and the learner's cohort paths."""
        courses = self._progress_of(journey.lessons)
        by_key = {item.course.key: item for item in courses}
        return courses, path.programmes(journey.path, by_key, journey.passed)

    def _resolve(self, user: User, courses: list[prog.CourseProgress],
                 paths: tuple[path.Programme, ...] = (), *,
                 lessons_left: bool = True) -> prog.CourseProgress | None:
        """The current course while it has lessons left (the learner chose it, or was in
        it); else the next course of the learner's cohort paths (see bot.learning.path;
        with ``lessons_left`` one with a lesson left); else, in catalogue order, the first
        course with a lesson left."""
        current = self.current_course_key(user)
        for item in courses:
            if item.course.key == current and not item.complete:
                return item
        step = path.next_on_path(paths, lessons_left=lessons_left)
        if step is not None:
            return step.progress
        return next((item for item in courses if not item.complete), None)

    async def resolve(self, user: User) -> prog.CourseProgress | None:
        """Where /learn continues: the current course unless complete, else the next course
        of the learner's cohort paths, else the first open one."""
        return (await self.place(user))[0]

    async def place(self, user: User
                    ) -> tuple[prog.CourseProgress | None, tuple[path.Programme, ...]]:
        """Where /learn continues (see ``resolve``) and the learner's cohort paths."""
        courses, paths = self._paths_of(await self._records.journey(user.id))
        return self._resolve(user, courses, paths), paths

    async def paths(self, user: User) -> tuple[path.Programme, ...]:
        """The learner's cohorts, each with its path (courses in order, progress, deadline)."""
        return self._paths_of(await self._records.journey(user.id))[1]

    # ------------------------------------------------------------------ lessons

    async def open_next_lesson(self, user: User,
                               present: Present[LessonView]) -> LessonView | None:
        """Show the next lesson of the current course; None when every course is complete."""
        step = await self.next_step(user, present, evaluation=False)
        return step if isinstance(step, LessonView) else None

    async def next_step(self, user: User, present: Present[LessonView], *,
                        evaluation: bool = True) -> LessonView | EvaluationStatus | None:
        """What /learn does: the current course's final evaluation when its lessons are done
        and it is not passed (``evaluation``), else the next lesson (shown) of the current
        course or of the learner's cohort paths (a path course whose lessons are done offers
        its evaluation); None when every course is complete. The usual path costs no more
        than showing the lesson: progress, paths and passed courses are one query."""
        journey = await self._records.journey(user.id)
        courses, paths = self._paths_of(journey)
        current = self.current_course_key(user)
        chosen = next((c for c in courses if c.course.key == current), None)
        if (evaluation and chosen is not None and chosen.complete
                and chosen.course.key not in journey.passed):
            return await self.evaluation_status(user, chosen.course)
        target = self._resolve(user, courses, paths, lessons_left=not evaluation)
        if target is None:
            return None
        if target.next_lesson is None:
            return await self.evaluation_status(user, target.course) if evaluation else None
        return await self._show_lesson(user, target.course, target.next_lesson,
                                       journey.lessons, present)

    async def open_lesson(self, user: User, course_key: str, lesson_key: str,
                          present: Present[LessonView]) -> LessonView | None:
        """Show one lesson (a retake, say), resuming at the furthest card seen."""
        course = self.catalogue.course(course_key)
        lesson = course.lesson(lesson_key) if course else None
        if course is None or lesson is None:
            return None
        rows = await self._records.lessons(user.id, course_key)
        return await self._show_lesson(user, course, lesson, rows, present)

    async def _show_lesson(self, user: User, course: Course, lesson: Lesson,
                           rows: list[LessonProgress],
                           present: Present[LessonView]) -> LessonView:
        """Show a lesson, then record its session, the card seen and the current course."""
        row = next((r for r in rows if r.course_key == course.key
                    and r.lesson_key == lesson.key), None)
        card = 0 if row is None or row.completed else min(row.furthest_card,
                                                          len(lesson.cards) - 1)
        view = LessonView(course, lesson, card)
        shown = await present(view)
        now = self.clock.now()
        async with self._db.transaction():
            if self.current_course_key(user) != course.key:
                await self._records.set_current_course(user.id, course.key)
            await self._sessions.close_open(user.id, "lesson", now)
            await self._sessions.create(user.id, "lesson", course.key, lesson.key,
                                        chat_id=shown.chat_id, message_id=shown.message_id,
                                        now=now, position=card)
            await self._records.see_card(user.id, course.key, lesson.key, card, view.last,
                                         now)
        return view

    async def turn_card(self, user: User, chat_id: int, message_id: int,
                        position: int) -> LessonView | None:
        """The card after ``position`` (the caller shows it); None for a stale or foreign press."""
        session = await self._owned(user, chat_id, message_id, ("lesson",))
        lesson = (self.catalogue.lesson(session.course_key, session.lesson_key)
                  if session else None)
        course = self.catalogue.course(session.course_key) if session else None
        if session is None or lesson is None or course is None or session.position != position:
            return None
        card = position + 1
        if card >= len(lesson.cards):
            return None
        view = LessonView(course, lesson, card)
        now = self.clock.now()
        async with self._db.transaction():
            await self._sessions.move_to(session.id, position, card, now)
            await self._records.see_card(user.id, session.course_key, session.lesson_key, card,
                                         view.last, now)
        return view

    async def lesson_on(self, user: User, chat_id: int, message_id: int) -> LessonView | None:
        """The lesson a message of this learner shows (for its discussion prompt)."""
        session = await self._owned(user, chat_id, message_id, ("lesson",))
        course = self.catalogue.course(session.course_key) if session else None
        lesson = course.lesson(session.lesson_key) if course and session else None
        if session is None or course is None or lesson is None:
            return None
        return LessonView(course, lesson, min(session.position, len(lesson.cards) - 1))

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
            return QuestionView("review", course, lesson, question, 0, 1,
                                order=quiz.option_order(question, session.seed))
        if session.position >= len(lesson.quiz):
            return None
        question = lesson.quiz[session.position]
        return QuestionView("quiz", course, lesson, question, session.position,
                            len(lesson.quiz), order=quiz.option_order(question, session.seed))

    async def _record_shown(self, user: User, view: QuestionView, shown: Shown, *,
                            seed: int, parent_id: int | None = None) -> None:
        """Inside a unit of work: the session of a question just shown (and its poll)."""
        now = self.clock.now()
        await self._sessions.create(
            user.id, "quiz" if view.kind == "quiz" else "review", view.course.key,
            view.lesson.key, chat_id=shown.chat_id, message_id=shown.message_id, now=now,
            position=view.position if view.kind == "quiz" else 0,
            question_key=view.question.key if view.kind == "review" else None,
            parent_id=parent_id, seed=seed,
        )
        if shown.poll_id is not None:
            await self._sessions.add_poll(shown.poll_id, user.id, view.position, shown.chat_id,
                                          shown.message_id, now)

    async def start_quiz(self, user: User, chat_id: int, message_id: int, card: int,
                         present: Present[QuestionView]) -> QuestionView | None:
        """Show the quiz of the lesson a lesson message shows, pressed on its last ``card``."""
        parent = await self._owned(user, chat_id, message_id, ("lesson",))
        lesson = (self.catalogue.lesson(parent.course_key, parent.lesson_key)
                  if parent else None)
        if (parent is None or lesson is None or parent.position != len(lesson.cards) - 1
                or card != parent.position):
            return None
        if await self._sessions.has_open_child(parent.id):
            return None  # this lesson message's quiz is already on screen
        course = self.catalogue.course(parent.course_key)
        if course is None or not lesson.quiz:
            return None
        seed = quiz.new_seed()
        first = lesson.quiz[0]
        view = QuestionView("quiz", course, lesson, first, 0, len(lesson.quiz),
                            order=quiz.option_order(first, seed))
        shown = await present(view)
        async with self._db.transaction():
            await self._sessions.close_open(user.id, "quiz", self.clock.now())
            await self._record_shown(user, view, shown, seed=seed, parent_id=parent.id)
        return view

    async def next_question(self, user: User, chat_id: int, message_id: int, position: int,
                            present: Present[QuestionView] | None = None,
                            ) -> QuestionView | None:
        """Move an answered quiz to its next question; None for a stale press.

        Without ``present`` the caller shows it in place of the question message; with it (a
        native poll per question) it becomes a new message and the session moves there.
        """
        session = await self._owned(user, chat_id, message_id, ("quiz",))
        if session is None or session.position != position or not session.answered:
            return None
        lesson = self.catalogue.lesson(session.course_key, session.lesson_key)
        course = self.catalogue.course(session.course_key)
        if lesson is None or course is None or position + 1 >= len(lesson.quiz):
            return None
        following = lesson.quiz[position + 1]
        view = QuestionView("quiz", course, lesson, following, position + 1, len(lesson.quiz),
                            order=quiz.option_order(following, session.seed))
        shown = await present(view) if present is not None else None
        now = self.clock.now()
        async with self._db.transaction():
            await self._sessions.move_to(session.id, position, position + 1, now)
            if shown is not None:
                await self._sessions.rebind(session.id, shown.chat_id, shown.message_id, now)
                if shown.poll_id is not None:
                    await self._sessions.add_poll(shown.poll_id, user.id, position + 1,
                                                  shown.chat_id, shown.message_id, now)
        return view

    async def answer_poll(self, user: User, poll_id: str,
                          option_ids: list[int]) -> AnswerOutcome | None:
        """Grade a poll answer; None if the poll is not this learner's current question."""
        ref = await self._sessions.poll(poll_id)
        if ref is None or ref.user_id != user.id or len(option_ids) != 1:
            return None
        return await self.answer(user, ref.chat_id, ref.message_id, ref.position,
                                 option_ids[0])

    async def answer(self, user: User, chat_id: int, message_id: int, position: int,
                     option: int) -> AnswerOutcome | None:
        """Grade an answer to the question a message shows; None for a stale or forged press."""
        session = await self._owned(user, chat_id, message_id, ("quiz", "review"))
        if session is None or session.position != position or session.answered:
            return None
        view = self._question_view(session)
        if view is None or not quiz.valid_option(view.question, option):
            return None
        now = self.clock.now()
        correct = quiz.is_correct(view.question, option)
        keys = (user.id, session.course_key, session.lesson_key, view.question.key)
        zone, retention = self.zone(user), self.retention(user)
        if view.kind == "review":
            item = await self._reviews.get(*keys)
            memory = _memory(item) if item is not None else None  # None: a new card
            done = review.review(memory, correct, now, zone, retention)
            async with self._db.transaction():
                await self._sessions.mark_answered(session.id, position, correct=correct,
                                                   close=False, now=now)
                await self._records.record_answer(*keys, chosen=option, correct=correct,
                                                  source="review", now=now)
                await self._reviews.save(*keys, _schedule(done))
                await self._reviews.log(*keys, _log_entry("review", done, retention))
                await self._records.add_review_activity(user.id, self.today(user))
            return AnswerOutcome(view, option, correct, scored=False, chat_id=chat_id,
                                 message_id=message_id)
        # The first answer is the card's first FSRS review (reading the lesson was the
        # exposure); a retake is practice: the item and its log are left as they are.
        first = review.review(None, correct, now, zone, retention)
        async with self._db.transaction():
            await self._sessions.mark_answered(session.id, position, correct=correct,
                                               close=view.is_last, now=now)
            record = await self._records.record_answer(*keys, chosen=option, correct=correct,
                                                       source="lesson", now=now)
            await self._reviews.log(*keys, _log_entry("lesson", first, retention))
            await self._reviews.start(*keys, _schedule(first))
        finished = None
        if view.is_last:
            right = session.correct + int(correct)
            finished = await self._finish_lesson(user, view, right)
        return AnswerOutcome(view, option, correct, record.value.is_first, finished,
                             chat_id=chat_id, message_id=message_id)

    async def _finish_lesson(self, user: User, view: QuestionView,
                             right: int) -> LessonFinished:
        """Complete the lesson if its cards were read and every question has a scored answer."""
        course, lesson = view.course, view.lesson
        scored = await self._records.first_answers(user.id, course.key, lesson.key)
        completed_now = False
        if all(q.key in scored for q in lesson.quiz):
            completed_now = await self._records.complete_lesson(
                user.id, course.key, lesson.key, lesson.minutes, self.clock.now(),
                self.today(user),
            )
        state = await self.course_progress(user, course)
        # The lessons' minutes count once the course's final evaluation is passed.
        return LessonFinished(course, lesson, right, len(lesson.quiz), completed_now,
                              lesson.minutes if completed_now else 0, state.complete,
                              state.next_lesson)

    # ------------------------------------------------------------------ review

    def _question_of(self, item: ReviewItem) -> tuple[Course, Lesson, Question] | None:
        """The course, lesson and question of an item, if the question still exists."""
        course = self.catalogue.course(item.course_key)
        lesson = course.lesson(item.lesson_key) if course else None
        question = lesson.question(item.question_key) if lesson else None
        if course is None or lesson is None or question is None:
            return None
        return course, lesson, question

    async def _askable(self, user: User, now: datetime) -> list[ReviewItem]:
        """The items due at ``now``, oldest due first; those whose question left the pack
        cannot be asked any more and are dropped."""
        askable = []
        for item in await self._reviews.due(user.id, now):
            if self._question_of(item) is None:
                await self._reviews.delete(user.id, item.course_key, item.lesson_key,
                                           item.question_key)
            else:
                askable.append(item)
        return askable

    async def _room_today(self, user: User, now: datetime) -> int:
        """How many more review answers today's limit allows (the learner's local day)."""
        zone = self.zone(user)
        midnight = review.local_midnight(now.astimezone(zone).date(), zone)
        done = await self._reviews.reviews_since(user.id, midnight)
        return max(0, self.settings.review_daily_limit - done)

    async def _next_due(self, user: User, now: datetime,
                        seed: int) -> QuestionView | ReviewIdle:
        """The most forgotten due item, while today's limit allows; else why there is none.

        Items are ordered by the package's retrievability, lowest first, in Python: SQL cannot
        compute it (a power of the days elapsed), and a learner has hundreds of items at most.
        Equal retrievability keeps the storage order, oldest due first.
        """
        due = await self._askable(user, now)
        room = await self._room_today(user, now) if due else 0
        if not due or room == 0:
            return await self._idle(user, now, waiting=len(due))
        order = review.forgotten_first([_memory(item) for item in due], now)
        found = self._question_of(due[order[0]])
        assert found is not None
        course, lesson, question = found
        return QuestionView("review", course, lesson, question, 0, min(len(due), room),
                            await self.recall(user, course.key, now),
                            order=quiz.option_order(question, seed))

    async def _idle(self, user: User, now: datetime, *, waiting: int) -> ReviewIdle:
        """Nothing to ask now: when the next item falls due, or that today's limit is spent
        (``waiting`` items due, the rest from the next local midnight)."""
        recall = await self.recall(user, self.current_course_key(user), now)
        if waiting:
            zone = self.zone(user)
            tomorrow = now.astimezone(zone).date() + timedelta(days=1)
            return ReviewIdle(review.local_midnight(tomorrow, zone), recall=recall,
                              limit=self.settings.review_daily_limit, waiting=waiting)
        return ReviewIdle(await self._reviews.next_due_at(user.id, now), recall=recall)

    async def recall(self, user: User, course_key: str | None,
                     now: datetime | None = None) -> Recall | None:
        """The learner's predicted recall of a course ("ingatan Anda ±86 %"): the mean of the
        package's retrievability over their items of it; None without any."""
        course = self.catalogue.course(course_key) if course_key else None
        if course is None:
            return None
        items = [i for i in await self._reviews.of_course(user.id, course.key)
                 if self._question_of(i) is not None]
        value = review.mean_recall([_memory(i) for i in items], now or self.clock.now(),
                                   self.retention(user))
        return None if value is None else Recall(course, value, len(items))

    async def start_review(self, user: User,
                           present: Present[QuestionView]) -> QuestionView | ReviewIdle:
        """Show the oldest due review item, or say when the next one falls due."""
        now, seed = self.clock.now(), quiz.new_seed()
        follow = await self._next_due(user, now, seed)
        if isinstance(follow, ReviewIdle):
            await self._sessions.close_open(user.id, "review", now)
            return follow
        shown = await present(follow)
        async with self._db.transaction():
            await self._sessions.close_open(user.id, "review", now)
            await self._record_shown(user, follow, shown, seed=seed)
        return follow

    async def next_review(self, user: User, chat_id: int, message_id: int,
                          present: Present[QuestionView]) -> QuestionView | ReviewIdle | None:
        """After an answered review item: the next due one; None for a stale press."""
        session = await self._owned(user, chat_id, message_id, ("review",))
        if session is None or not session.answered:
            return None
        now, seed = self.clock.now(), quiz.new_seed()
        follow = await self._next_due(user, now, seed)
        if isinstance(follow, ReviewIdle):
            await self._sessions.close(session.id, now)
            return follow
        shown = await present(follow)
        async with self._db.transaction():
            await self._sessions.close(session.id, now)
            await self._record_shown(user, follow, shown, seed=seed)
        return follow

    async def reviews_due(self, user: User) -> int:
        """How many review items are due now."""
        return await self._reviews.count_due(user.id, self.clock.now())


def _memory(item: ReviewItem) -> review.Memory:
    """The FSRS memory a stored item holds."""
    return review.Memory(item.stability, item.difficulty, item.fsrs_state,
                         item.last_reviewed_at or item.created_at, item.lapses)


def _schedule(done: review.Reviewed) -> Schedule:
    """What ``review_items`` stores after a rating."""
    memory = done.memory
    assert memory.stability is not None and memory.difficulty is not None
    assert memory.last_review is not None
    return Schedule(memory.stability, memory.difficulty, memory.state, memory.lapses,
                    done.due_at, memory.last_review)


def _log_entry(kind: str, done: review.Reviewed, retention: float) -> ReviewLogEntry:
    """What ``review_logs`` keeps of a rating (for the FSRS optimizer later)."""
    memory = done.memory
    assert memory.stability is not None and memory.difficulty is not None
    assert memory.last_review is not None
    return ReviewLogEntry(kind, int(done.rating), memory.last_review, done.elapsed_days,
                          done.retrievability, memory.stability, memory.difficulty,
                          memory.state, done.due_at, retention)
