"""Cohort statistics and the per-learner progress rows behind /stats and /export.

/stats shows a cohort's progress lesson by lesson (lessons done of the lessons in its path, not
only whole courses passed), the members behind schedule (bot.training.pace) and the hardest
questions by first-answer accuracy: only questions with at least ``MIN_ANSWERS`` first
answers and at least one of them wrong, at most ``HARDEST``. The progress sheet covers all
learners, a work unit or a cohort (bot.storage.siasn.Scope); ``reach`` narrows a scope to what
the staff member may read (trainers limited to their own cohorts, ``access.trainers_own_cohorts``).
JP come from the JP ledger (courses passed, bot.storage.siasn), as on the SIASN sheets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.catalogue import CatalogueHolder
from bot.content.models import Course, Question
from bot.learning.jp import jp_value
from bot.storage.siasn import Scope
from bot.storage.training import CohortCourse, TrainingRepository
from bot.storage.training_stats import CohortStatsRepository, MemberRow
from bot.training.cohorts import CohortService
from bot.training.pace import Pace, is_behind, start_of
from bot.training.roles import RoleService

#: The hardest questions listed at most.
HARDEST = 5
#: First answers a question needs before its accuracy says anything.
MIN_ANSWERS = 5
WEEKS = 8


@dataclass(frozen=True, slots=True)
class CourseProgress:
    """A course of the cohort's path: lessons done by its members, and passes."""

    course: Course
    deadline: date | None
    members: int
    lessons_done: int         # summed over members, counting the live catalogue's lessons
    passed: int               # members who passed the final evaluation

    @property
    def lessons_total(self) -> int:
        """The course's lessons in the live catalogue."""
        return len(self.course.lessons)

    @property
    def lessons_possible(self) -> int:
        """Lessons to do for the whole cohort: lessons x members."""
        return self.lessons_total * self.members

    @property
    def percent(self) -> float:
        """Lessons done as a percentage of the possible (0 for an empty cohort)."""
        possible = self.lessons_possible
        return 100.0 * self.lessons_done / possible if possible else 0.0


@dataclass(frozen=True, slots=True)
class HardQuestion:
    """A question the cohort found hard."""

    course: Course
    question: Question
    right: int
    answers: int

    @property
    def percent(self) -> float:
        """Share of first answers that were right, in percent."""
        return 100.0 * self.right / self.answers if self.answers else 0.0


@dataclass(frozen=True, slots=True)
class Straggler:
    """A member behind schedule on one of the cohort's courses."""

    user_id: int
    name: str
    course: Course
    deadline: date
    lessons_done: int
    lessons_total: int
    overdue: bool             # the deadline has passed


@dataclass(frozen=True, slots=True)
class CohortStats:
    """The /stats figures of one cohort."""

    members: int
    active_7d: int
    accuracy: float | None           # percent of first answers right, None without answers
    answers: int
    year: int
    jp_total: Decimal
    jp_target: int
    reached_target: int
    courses: list[CourseProgress]
    behind: list[Straggler]          # by name, then the path's order
    hardest: list[HardQuestion]
    deadlines: bool                  # some course of the path has a deadline
    min_answers: int = MIN_ANSWERS

    @property
    def lessons_done(self) -> int:
        """Lessons done over the whole path, summed over members."""
        return sum(c.lessons_done for c in self.courses)

    @property
    def lessons_possible(self) -> int:
        """Lessons in the path times members."""
        return sum(c.lessons_possible for c in self.courses)

    @property
    def percent(self) -> float:
        """The path's lessons done, in percent."""
        possible = self.lessons_possible
        return 100.0 * self.lessons_done / possible if possible else 0.0


@dataclass(frozen=True, slots=True)
class WeeklyActivity:
    """Active members per week, oldest week first."""

    mondays: list[date]
    active: list[int]


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One learner's line in the progress sheet."""

    name: str
    unit: str
    courses_completed: int           # final evaluations passed
    lessons_completed: int           # lessons of the live catalogue
    jp: float                        # JP of the sheet's year, from the JP ledger
    accuracy: float | None           # percent of first answers right, None without answers
    last_active: date | None
    certificates: str


class StatsService:
    """Reads the learner tables for a cohort or an export's scope, set-based, and shapes the
    figures."""

    def __init__(
        self, stats: CohortStatsRepository, repo: TrainingRepository,
        catalogue: CatalogueHolder, clock: Clock, zone: ZoneInfo, *,
        cohorts: CohortService, roles: RoleService, minutes_per_jp: int, jp_target: int,
    ) -> None:
        self._stats = stats
        self._repo = repo
        self._catalogue = catalogue
        self._clock = clock
        self._zone = zone
        self._cohorts = cohorts
        self._roles = roles
        self._minutes_per_jp = minutes_per_jp
        self._jp_target = jp_target

    def today(self) -> date:
        """Today in the bot's default zone."""
        return self._clock.now().astimezone(self._zone).date()

    def _local(self, moment: datetime) -> date:
        return moment.astimezone(self._zone).date()

    def _jp(self, minutes: int) -> Decimal:
        return jp_value(minutes, self._minutes_per_jp)

    # ------------------------------------------------------------------ who may read what

    async def reach(self, staff_id: int, scope: Scope) -> Scope | None:
        """``scope`` as this staff member may read it: a cohort only if they may see it (else
        None); all learners or a unit, for a trainer limited to their own cohorts, only the
        members of those cohorts. Admins, and trainers when not limited, read everything."""
        if scope.kind == "cohort":
            allowed = (scope.cohort_id is not None
                       and await self._cohorts.may_see(staff_id, scope.cohort_id))
            return scope if allowed else None
        if self._cohorts.limited and not self._roles.is_admin(staff_id):
            return scope.only_in([c.id for c in await self._cohorts.visible_to(staff_id)])
        return scope

    # ------------------------------------------------------------------ /stats

    async def _path(self, cohort_id: int) -> list[tuple[CohortCourse, Course]]:
        """The cohort's active courses that the live catalogue holds, in the path's order."""
        catalogue = self._catalogue.current
        path = []
        for assigned in await self._repo.courses(cohort_id):
            course = catalogue.course(assigned.course_key)
            if course is not None:
                path.append((assigned, course))
        return path

    async def _completion(self, scope: Scope, courses: list[Course]
                          ) -> dict[int, dict[str, int]]:
        """Completed live lessons per learner and course."""
        keys = [(c.key, lesson.key) for c in courses for lesson in c.lessons]
        done: dict[int, dict[str, int]] = {}
        for user_id, course_key, n in await self._stats.completed_lessons(scope, keys):
            done.setdefault(user_id, {})[course_key] = n
        return done

    def _stragglers(self, members: list[MemberRow], path: list[tuple[CohortCourse, Course]],
                    done: dict[int, dict[str, int]], passed: dict[int, set[str]],
                    today: date) -> list[Straggler]:
        """The active members behind on each course with a deadline, by name then path."""
        found = []
        for member in members:
            if not member.is_active:
                continue
            for assigned, course in path:
                if assigned.deadline is None:
                    continue
                deadline = date.fromisoformat(assigned.deadline)
                assigned_on = (None if assigned.assigned_at is None
                               else self._local(assigned.assigned_at))
                pace = Pace(
                    lessons_total=len(course.lessons),
                    lessons_done=done.get(member.user_id, {}).get(course.key, 0),
                    passed=course.key in passed.get(member.user_id, set()),
                    start=start_of(assigned_on, self._local(member.joined_at)),
                )
                if is_behind(pace, deadline, today):
                    found.append(Straggler(member.user_id, member.name, course, deadline,
                                           pace.lessons_done, pace.lessons_total,
                                           overdue=today > deadline))
        return found

    async def stragglers(self, cohort_id: int) -> list[Straggler]:
        """The cohort's active members behind schedule today, per course, by name."""
        path = await self._path(cohort_id)
        if not any(assigned.deadline for assigned, _ in path):
            return []
        scope = Scope.of_cohort(cohort_id)
        members, done, passed = await asyncio.gather(
            self._stats.members(cohort_id),
            self._completion(scope, [course for _, course in path]),
            self._stats.passed(scope),
        )
        return self._stragglers(members, path, done, passed, self.today())

    async def behind(self, cohort_id: int, course_key: str) -> list[int]:
        """The user ids of the cohort's active members behind on this course today."""
        return sorted({s.user_id for s in await self.stragglers(cohort_id)
                       if s.course.key == course_key})

    async def cohort_stats(self, cohort_id: int) -> CohortStats:
        """Members, activity, lesson progress per course, who is behind, accuracy, JP and the
        hardest questions."""
        catalogue = self._catalogue.current
        path = await self._path(cohort_id)
        # Without assigned courses the whole catalogue is the path (and nothing is due).
        courses = [course for _, course in path] or list(catalogue)
        deadlines = {a.course_key: date.fromisoformat(a.deadline) for a, _ in path
                     if a.deadline}
        today = self.today()
        scope = Scope.of_cohort(cohort_id)
        # Independent reads: on PostgreSQL they run side by side on the pool.
        members, active, done, passed, scores, (minutes, scored) = await asyncio.gather(
            self._stats.members(cohort_id),
            self._stats.active_since(cohort_id, (today - timedelta(days=6)).isoformat()),
            self._completion(scope, courses),
            self._stats.passed(scope),
            self._stats.accuracy(scope),
            asyncio.gather(
                self._stats.minutes_between(scope, f"{today.year}-01-01",
                                            f"{today.year}-12-31"),
                self._stats.question_scores(cohort_id, [c.key for c in courses],
                                            min_answers=MIN_ANSWERS, limit=HARDEST * 4),
            ),
        )
        progress = [
            CourseProgress(
                course, deadlines.get(course.key), len(members),
                lessons_done=sum(per.get(course.key, 0) for per in done.values()),
                passed=sum(1 for keys in passed.values() if course.key in keys),
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
            courses=progress,
            behind=self._stragglers(members, path, done, passed, today),
            hardest=hardest,
            deadlines=bool(deadlines),
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

    # ------------------------------------------------------------------ /export

    async def progress_rows(self, cohort_id: int) -> list[ProgressRow]:
        """One row per member of a cohort, this year, by name."""
        return await self.progress_sheet(Scope.of_cohort(cohort_id), self.today().year)

    async def progress_sheet(self, scope: Scope, year: int) -> list[ProgressRow]:
        """One row per learner of the scope (JP of ``year``), by name."""
        courses = list(self._catalogue)
        # Independent reads: on PostgreSQL they run side by side on the pool.
        people, done, passed, minutes, scores, (last, certificates) = await asyncio.gather(
            self._stats.people(scope),
            self._completion(scope, courses),
            self._stats.passed(scope),
            self._stats.minutes_between(scope, f"{year}-01-01", f"{year}-12-31"),
            self._stats.accuracy(scope),
            asyncio.gather(self._stats.last_active(scope), self._stats.certificates(scope)),
        )
        rows = []
        for person in people:
            right, answers = scores.get(person.user_id, (0, 0))
            last_day = last.get(person.user_id)
            rows.append(ProgressRow(
                name=person.name,
                unit=person.unit or "",
                courses_completed=len(passed.get(person.user_id, set())),
                lessons_completed=sum(done.get(person.user_id, {}).values()),
                jp=float(self._jp(minutes.get(person.user_id, 0))),
                accuracy=round(100.0 * right / answers, 1) if answers else None,
                last_active=date.fromisoformat(last_day) if last_day else None,
                certificates=", ".join(certificates.get(person.user_id, [])),
            ))
        return rows
