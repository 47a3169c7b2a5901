"""Cohort statistics and the per-learner progress rows behind /stats and /export."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.catalogue import CatalogueHolder
from bot.content.models import Course, Question
from bot.learning.jp import jp_value
from bot.storage.training import TrainingRepository
from bot.storage.training_stats import CohortStatsRepository

HARDEST = 5
WEEKS = 8


@dataclass(frozen=True, slots=True)
class CourseCompletion:
    """How many members completed every current lesson of a course."""

    course: Course
    completed: int
    members: int

    @property
    def percent(self) -> float:
        """Completed members as a percentage (0 for an empty cohort)."""
        return 100.0 * self.completed / self.members if self.members else 0.0


@dataclass(frozen=True, slots=True)
class HardQuestion:
    """A question the cohort found hard."""

    course: Course
    question: Question
    right: int
    answers: int

    @property
    def percent(self) -> float:
        """Share of scored answers that were right, in percent."""
        return 100.0 * self.right / self.answers if self.answers else 0.0


@dataclass(frozen=True, slots=True)
class CohortStats:
    """The /stats figures of one cohort."""

    members: int
    active_7d: int
    accuracy: float | None           # percent of scored answers right, None without answers
    answers: int
    year: int
    jp_total: Decimal
    jp_target: int
    reached_target: int
    courses: list[CourseCompletion]
    hardest: list[HardQuestion]


@dataclass(frozen=True, slots=True)
class WeeklyActivity:
    """Active members per week, oldest week first."""

    mondays: list[date]
    active: list[int]


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One learner's line in the HR export."""

    name: str
    unit: str
    courses_completed: int
    lessons_completed: int
    jp_this_year: float
    accuracy: float | None           # percent, None without scored answers
    last_active: date | None
    certificates: str


class StatsService:
    """Reads the learner tables for a cohort, set-based, and shapes the figures."""

    def __init__(
        self, stats: CohortStatsRepository, repo: TrainingRepository,
        catalogue: CatalogueHolder, clock: Clock, zone: ZoneInfo, *,
        minutes_per_jp: int, jp_target: int,
    ) -> None:
        self._stats = stats
        self._repo = repo
        self._catalogue = catalogue
        self._clock = clock
        self._zone = zone
        self._minutes_per_jp = minutes_per_jp
        self._jp_target = jp_target

    def today(self) -> date:
        """Today in the bot's default zone."""
        return self._clock.now().astimezone(self._zone).date()

    def _jp(self, minutes: int) -> Decimal:
        return jp_value(minutes, self._minutes_per_jp)

    async def _completion(
        self, cohort_id: int, courses: list[Course]
    ) -> dict[int, dict[str, int]]:
        """Completed current lessons per member and course."""
        keys = [(c.key, lesson.key) for c in courses for lesson in c.lessons]
        done: dict[int, dict[str, int]] = {}
        for user_id, course_key, n in await self._stats.completed_lessons(cohort_id, keys):
            done.setdefault(user_id, {})[course_key] = n
        return done

    async def cohort_stats(self, cohort_id: int) -> CohortStats:
        """Members, weekly activity, completion per course, accuracy, JP, hardest questions."""
        catalogue = self._catalogue.current
        assigned = [catalogue.course(c.course_key) for c in await self._repo.courses(cohort_id)]
        courses = [c for c in assigned if c is not None] or list(catalogue)
        today = self.today()
        # Independent reads: on PostgreSQL they run side by side on the pool.
        members, active, done, scores, minutes, scored = await asyncio.gather(
            self._stats.members(cohort_id),
            self._stats.active_since(cohort_id, (today - timedelta(days=6)).isoformat()),
            self._completion(cohort_id, courses),
            self._stats.accuracy(cohort_id),
            self._stats.minutes_between(cohort_id, f"{today.year}-01-01",
                                        f"{today.year}-12-31"),
            self._stats.question_scores(cohort_id, HARDEST * 4),
        )
        completion = [
            CourseCompletion(
                course,
                sum(1 for per in done.values() if per.get(course.key, 0) >= len(course.lessons)),
                len(members),
            )
            for course in courses
        ]
        right = sum(r for r, _ in scores.values())
        answers = sum(n for _, n in scores.values())
        jps = [self._jp(m) for m in minutes.values()]
        hardest: list[HardQuestion] = []
        for score in scored:
            course = catalogue.course(score.course_key)
            question = catalogue.question(score.course_key, score.lesson_key, score.question_key)
            if course is not None and question is not None and len(hardest) < HARDEST:
                hardest.append(HardQuestion(course, question, score.right, score.answers))
        return CohortStats(
            members=len(members),
            active_7d=active,
            accuracy=100.0 * right / answers if answers else None,
            answers=answers,
            year=today.year,
            jp_total=sum(jps, Decimal(0)),
            jp_target=self._jp_target,
            reached_target=sum(1 for jp in jps if jp >= self._jp_target),
            courses=completion,
            hardest=hardest,
        )

    async def weekly(self, cohort_id: int, weeks: int = WEEKS) -> WeeklyActivity:
        """Active members in each of the last ``weeks`` weeks (Monday to Sunday)."""
        today = self.today()
        this_monday = today - timedelta(days=today.weekday())
        first = this_monday - timedelta(weeks=weeks - 1)
        counts = await self._stats.weekly_active(cohort_id, first.isoformat())
        return WeeklyActivity(
            [first + timedelta(weeks=i) for i in range(weeks)],
            [counts.get(i, 0) for i in range(weeks)],
        )

    async def progress_rows(self, cohort_id: int) -> list[ProgressRow]:
        """One row per member for the HR export, by name."""
        courses = list(self._catalogue)
        today = self.today()
        totals = {c.key: len(c.lessons) for c in courses}
        # Six independent reads: on PostgreSQL they run side by side on the pool.
        members, done, minutes, scores, last, certificates = await asyncio.gather(
            self._stats.members(cohort_id),
            self._completion(cohort_id, courses),
            self._stats.minutes_between(cohort_id, f"{today.year}-01-01",
                                        f"{today.year}-12-31"),
            self._stats.accuracy(cohort_id),
            self._stats.last_active(cohort_id),
            self._stats.certificates(cohort_id),
        )
        rows = []
        for member in members:
            per_course = done.get(member.user_id, {})
            right, answers = scores.get(member.user_id, (0, 0))
            last_day = last.get(member.user_id)
            rows.append(ProgressRow(
                name=member.name,
                unit=member.unit or "",
                courses_completed=sum(
                    1 for key, n in per_course.items() if n >= totals.get(key, 10**9)
                ),
                lessons_completed=sum(per_course.values()),
                jp_this_year=float(self._jp(minutes.get(member.user_id, 0))),
                accuracy=round(100.0 * right / answers, 1) if answers else None,
                last_active=date.fromisoformat(last_day) if last_day else None,
                certificates=", ".join(certificates.get(member.user_id, [])),
            ))
        return rows
