"""Discussion prompts: a lesson's prompt in the learner's cohort group, and the weekly prompt.

The weekly prompt goes to every group linked to a cohort, at most once per ISO week (in the
bot's time zone): the ledger row is claimed before the send and marked after, so a restart or
a second tick never sends it twice. It takes the next lesson, in the cohort's course order,
that has a discussion prompt and no thread in the group yet. Inside the quiet hours of bulk
sends (in the bot's zone, the groups' zone) it waits: a group linked at night gets its prompt
when they end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.catalogue import CatalogueHolder
from bot.content.models import Course, Lesson
from bot.delivery.quiet import QuietHours
from bot.discussion.threads import GroupPort, OpenResult, ThreadService, link_of
from bot.i18n import t
from bot.storage.discussion import DiscussionRepository

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# (language, course, lesson, is_forum) -> (thread title, opening text in Telegram HTML)
Renderer = Callable[[str, Course, Lesson, bool], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class LessonThread:
    """Where a learner can discuss a lesson."""

    status: str  # 'opened' | 'reused' | 'no_group' | 'no_prompt' | 'no_topic_right' | 'failed'
    chat_id: int | None = None
    link: str | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class WeeklyOutcome:
    """What the weekly prompt did in one group."""

    chat_id: int
    iso_week: str
    state: str  # 'sent' | 'failed' | 'nothing'
    lesson: tuple[str, str] | None = None


def lesson_opening(lang: str, course: Course, lesson: Lesson, is_forum: bool
                   ) -> tuple[str, str]:
    """The title and opening text (Telegram HTML) of a lesson's thread: the ``Renderer``."""
    assert lesson.discussion is not None
    title = lesson.title.get(lang)
    how = t(lang, "discussion.how_topic" if is_forum else "discussion.how_reply")
    text = t(lang, "discussion.lesson_opening", title=title, course=course.title.get(lang),
             prompt=lesson.discussion.get(lang), how=how)
    return title, text


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    """The ISO week of ``moment`` in ``zone``, e.g. '2026-W48'."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(moment: datetime, zone: ZoneInfo, weekday: str, at: time) -> datetime:
    """This ISO week's prompt moment (``weekday`` at ``at`` local) as an aware datetime."""
    local = moment.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=WEEKDAYS.index(weekday))
    return datetime.combine(day, at, tzinfo=zone)


class PromptService:
    """Opens lesson threads for learners and sends the weekly prompt to cohort groups."""

    def __init__(self, repo: DiscussionRepository, threads: ThreadService,
                 catalogue: CatalogueHolder,
                 *, zone: ZoneInfo, weekday: str = "mon", at: time = time(9, 0),
                 quiet: QuietHours | None = None) -> None:
        if weekday not in WEEKDAYS:
            raise ValueError(f"weekday must be one of {WEEKDAYS}")
        self._repo = repo
        self.threads = threads
        self.catalogue = catalogue
        self.zone = zone
        self.weekday = weekday
        self.at = at
        self.quiet = quiet
        self.runs = 0  # weekly checks made since start (for health checks and tests)

    # ---------------------------------------------------------- lesson prompt
    async def group_for(self, user_id: int, course_key: str) -> int | None:
        """The learner's cohort group for a course (a cohort with that course first)."""
        groups = await self._repo.member_groups(user_id)
        for chat_id, courses in groups:
            if course_key in courses:
                return chat_id
        return groups[0][0] if groups else None

    async def lesson_thread(
        self, port: GroupPort, user_id: int, course_key: str, lesson_key: str,
        render: Renderer,
    ) -> LessonThread:
        """Open (or reuse) the lesson's thread in the learner's cohort group."""
        course = self.catalogue.course(course_key)
        lesson = course.lesson(lesson_key) if course else None
        if course is None or lesson is None or lesson.discussion is None:
            return LessonThread("no_prompt")
        chat_id = await self.group_for(user_id, course_key)
        chat = await self.threads.chat(chat_id) if chat_id is not None else None
        if chat is None:
            return LessonThread("no_group")
        existing = await self._repo.lesson_thread(chat.id, course_key, lesson_key)
        if existing is not None:
            return LessonThread("reused", chat.id, link_of(existing), not existing.is_open)
        lang = await self.threads.group_language(chat.id)
        title, text = render(lang, course, lesson, chat.is_forum)
        result: OpenResult = await self.threads.open_thread(
            port, chat, title=title, opening_text=text, opened_by=user_id,
            course_key=course_key, lesson_key=lesson_key,
        )
        closed = result.thread is not None and not result.thread.is_open
        return LessonThread(result.status, chat.id, result.link, closed)

    # ---------------------------------------------------------- weekly prompt
    def due(self, now: datetime) -> bool:
        """True once this week's prompt moment has passed, outside quiet hours."""
        if self.quiet is not None and self.quiet.held_until(now, self.zone) is not None:
            return False
        return now >= week_start(now, self.zone, self.weekday, self.at)

    def next_lesson(self, course_keys: list[str], done: set[tuple[str, str]]
                    ) -> tuple[Course, Lesson] | None:
        """The first lesson, in course order, with a prompt and no thread yet."""
        wanted = set(course_keys)
        for course in self.catalogue:  # the catalogue is in course order
            if course.key not in wanted:
                continue
            for lesson in course.lessons:
                if lesson.discussion is not None and (course.key, lesson.key) not in done:
                    return course, lesson
        return None

    async def run_weekly(self, port: GroupPort, render: Renderer) -> list[WeeklyOutcome]:
        """Send this week's prompt to every linked group that has not had it yet."""
        self.runs += 1
        now = self.threads.clock.now()
        if not self.due(now):
            return []
        week = iso_week(now, self.zone)
        outcomes = []
        for chat_id in await self._repo.linked_groups():
            if await self._repo.week_state(chat_id, week) is not None:
                continue
            outcome = await self._weekly_for(port, render, chat_id, week)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def _weekly_for(self, port: GroupPort, render: Renderer, chat_id: int, week: str
                          ) -> WeeklyOutcome | None:
        clock = self.threads.clock
        if not await self._repo.claim_week(chat_id, week, clock.now()):
            return None
        chat = await self.threads.chat(chat_id)
        found = self.next_lesson(await self._repo.group_courses(chat_id),
                                 await self._repo.lessons_with_threads(chat_id))
        if chat is None or found is None:
            await self._repo.mark_week(chat_id, week, "nothing", clock.now())
            return WeeklyOutcome(chat_id, week, "nothing")
        course, lesson = found
        lang = await self.threads.group_language(chat_id)
        title, text = render(lang, course, lesson, chat.is_forum)
        try:
            result = await self.threads.open_thread(
                port, chat, title=title, opening_text=text, opened_by=None,
                course_key=course.key, lesson_key=lesson.key,
            )
        except Exception:
            # The claim stays: a prompt that may have gone out is not sent again this week.
            logger.exception("weekly prompt for chat %s failed", chat_id)
            await self._repo.mark_week(chat_id, week, "failed", clock.now(),
                                      course_key=course.key, lesson_key=lesson.key)
            return WeeklyOutcome(chat_id, week, "failed", (course.key, lesson.key))
        state = "sent" if result.status == "opened" else "failed"
        thread_id = result.thread.id if result.thread else None
        await self._repo.mark_week(chat_id, week, state, clock.now(), thread_id=thread_id,
                                  course_key=course.key, lesson_key=lesson.key)
        return WeeklyOutcome(chat_id, week, state, (course.key, lesson.key))
