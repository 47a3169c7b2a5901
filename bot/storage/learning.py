"""Learning records: learner preferences, lesson progress, quiz answers and activity days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.db import Database, Outcome, Pending, Row, epoch_of, from_epoch, to_epoch


@dataclass(frozen=True, slots=True)
class LearnerPrefs:
    """The learning columns of ``users``."""

    current_course: str | None
    nudge_time: str | None
    nudge_days: str


@dataclass(frozen=True, slots=True)
class LessonProgress:
    """One learner's state in one lesson."""

    course_key: str
    lesson_key: str
    furthest_card: int
    cards_done: bool
    started_at: datetime
    completed_at: datetime | None
    completed_on: str | None
    minutes_credited: int

    @property
    def completed(self) -> bool:
        """True once the lesson was completed."""
        return self.completed_at is not None

    @classmethod
    def from_row(cls, row: Row) -> LessonProgress:
        """Build from a ``lesson_progress`` row."""
        return cls(
            course_key=row["course_key"],
            lesson_key=row["lesson_key"],
            furthest_card=row["furthest_card"],
            cards_done=bool(row["cards_done"]),
            started_at=epoch_of(row["started_at"]),
            completed_at=from_epoch(row["completed_at"]),
            completed_on=row["completed_on"],
            minutes_credited=row["minutes_credited"],
        )


@dataclass(frozen=True, slots=True)
class PathEntry:
    """A course on the path of one of the learner's cohorts (an active cohort, an active
    course): its deadline (local date 'YYYY-MM-DD'), its place, when it was assigned and when
    the learner joined the cohort."""

    cohort_id: int
    cohort_name: str
    course_key: str
    deadline: str | None
    position: int
    assigned_at: datetime | None
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Journey:
    """What /learn reads in one query: lesson progress, the cohort paths and passed courses."""

    lessons: list[LessonProgress]
    path: list[PathEntry]
    passed: frozenset[str]


# One round trip for /learn: the learner's lesson rows, the courses of their cohorts' paths
# and the courses they passed, as three branches of one UNION ALL told apart by ``part``.
_JOURNEY = """
SELECT 'lesson' AS part, course_key, lesson_key, furthest_card, cards_done, started_at,
       completed_at, completed_on, minutes_credited, NULL AS cohort_id, NULL AS cohort_name,
       NULL AS deadline, NULL AS position, NULL AS assigned_at, NULL AS joined_at
  FROM lesson_progress WHERE user_id = ?
UNION ALL
SELECT 'path', cc.course_key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.id, c.name,
       cc.deadline, cc.position, cc.assigned_at, m.joined_at
  FROM cohort_members m
  JOIN cohorts c ON c.id = m.cohort_id AND c.archived = 0
  JOIN cohort_courses cc ON cc.cohort_id = c.id AND cc.active = 1
 WHERE m.user_id = ?
UNION ALL
SELECT 'passed', course_key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL
  FROM course_results WHERE user_id = ? AND passed_on IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """What storing an answer did."""

    is_first: bool


class LearningRepository:
    """Reads and writes progress, answers, activity days and the learner's preferences."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ preferences

    async def prefs(self, user_id: int) -> LearnerPrefs:
        """The learner's current course and nudge settings."""
        row = await self._db.fetch_one(
            "SELECT current_course, nudge_time, nudge_days FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return LearnerPrefs(None, None, "daily")
        return LearnerPrefs(row["current_course"], row["nudge_time"], row["nudge_days"])

    async def set_current_course(self, user_id: int, course_key: str | None) -> None:
        """Make ``course_key`` the course /learn continues."""
        await self._db.write(
            "UPDATE users SET current_course = ? WHERE id = ?", (course_key, user_id)
        )

    async def set_nudge(
        self, user_id: int, *, time: str | None = None, days: str | None = None
    ) -> None:
        """Change the nudge time ('HH:MM') and/or days ('daily' | 'weekdays')."""
        await self._db.write(
            "UPDATE users SET nudge_time = COALESCE(?, nudge_time),"
            " nudge_days = COALESCE(?, nudge_days) WHERE id = ?",
            (time, days, user_id),
        )

    # ------------------------------------------------------------------ lesson progress

    async def lesson(
        self, user_id: int, course_key: str, lesson_key: str
    ) -> LessonProgress | None:
        """The learner's progress in one lesson, if they opened it."""
        row = await self._db.fetch_one(
            "SELECT * FROM lesson_progress"
            " WHERE user_id = ? AND course_key = ? AND lesson_key = ?",
            (user_id, course_key, lesson_key),
        )
        return None if row is None else LessonProgress.from_row(row)

    async def lessons(self, user_id: int, course_key: str | None = None) -> list[LessonProgress]:
        """All lesson progress of a learner (optionally of one course)."""
        if course_key is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM lesson_progress WHERE user_id = ?", (user_id,)
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM lesson_progress WHERE user_id = ? AND course_key = ?",
                (user_id, course_key),
            )
        return [LessonProgress.from_row(r) for r in rows]

    async def journey(self, user_id: int) -> Journey:
        """Lesson progress, cohort paths (in cohort, then path order) and passed courses, in
        one query."""
        lessons: list[LessonProgress] = []
        path: list[PathEntry] = []
        passed: set[str] = set()
        for row in await self._db.fetch_all(_JOURNEY, (user_id, user_id, user_id)):
            if row["part"] == "lesson":
                lessons.append(LessonProgress.from_row(row))
            elif row["part"] == "path":
                path.append(PathEntry(
                    cohort_id=int(row["cohort_id"]), cohort_name=row["cohort_name"],
                    course_key=row["course_key"], deadline=row["deadline"],
                    position=int(row["position"]), assigned_at=from_epoch(row["assigned_at"]),
                    joined_at=epoch_of(row["joined_at"])))
            else:
                passed.add(row["course_key"])
        path.sort(key=lambda p: (p.cohort_id, p.position, p.course_key))
        return Journey(lessons, path, frozenset(passed))

    async def see_card(
        self, user_id: int, course_key: str, lesson_key: str, card: int, last: bool,
        now: datetime,
    ) -> None:
        """Record that card ``card`` was shown (``last``: it is the lesson's last card)."""
        greatest = self._db.dialect.greatest
        await self._db.write(
            f"""
            INSERT INTO lesson_progress (user_id, course_key, lesson_key, furthest_card,
                                         cards_done, started_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key, lesson_key) DO UPDATE SET
                furthest_card = {greatest("lesson_progress.furthest_card",
                                          "excluded.furthest_card")},
                cards_done = {greatest("lesson_progress.cards_done", "excluded.cards_done")}
            """,  # noqa: S608 - dialect builders only
            (user_id, course_key, lesson_key, card, int(last), to_epoch(now)),
        )

    async def complete_lesson(
        self, user_id: int, course_key: str, lesson_key: str, minutes: int, now: datetime,
        local_day: date,
    ) -> bool:
        """Mark the lesson completed and credit its minutes, once; True if this call did it."""
        async with self._db.transaction():
            done = await self._db.execute(
                """
                UPDATE lesson_progress
                   SET completed_at = ?, completed_on = ?, minutes_credited = ?
                 WHERE user_id = ? AND course_key = ? AND lesson_key = ?
                   AND completed_at IS NULL AND cards_done = 1
                """,
                (to_epoch(now), local_day.isoformat(), minutes, user_id, course_key, lesson_key),
            ) == 1
            if done:
                await self._add_activity(user_id, local_day, lessons=1)
        return done

    async def minutes_between(self, user_id: int, first: date, last: date) -> int:
        """Minutes credited for lessons completed on local dates first..last (inclusive)."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(SUM(minutes_credited), 0) FROM lesson_progress"
            " WHERE user_id = ? AND completed_on BETWEEN ? AND ?",
            (user_id, first.isoformat(), last.isoformat()),
        )
        return int(value or 0)

    # ------------------------------------------------------------------ quiz answers

    async def record_answer(
        self, user_id: int, course_key: str, lesson_key: str, question_key: str, *,
        chosen: int, correct: bool, source: str, now: datetime,
    ) -> Pending[AnswerRecord]:
        """Store an answer; a lesson answer is scored only if none was scored before."""
        return await self._db.later(
            """
            INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key, chosen,
                                      correct, is_first, source, answered_at)
            SELECT ?, ?, ?, ?, ?, ?,
                   CASE WHEN ? = 'lesson' AND NOT EXISTS (
                       SELECT 1 FROM quiz_answers WHERE user_id = ? AND course_key = ?
                          AND lesson_key = ? AND question_key = ? AND is_first = 1)
                   THEN 1 ELSE 0 END, ?, ?
            RETURNING is_first
            """,
            (user_id, course_key, lesson_key, question_key, chosen, int(correct), source,
             user_id, course_key, lesson_key, question_key, source, to_epoch(now)),
            _answer_record,
        )

    async def first_answers(
        self, user_id: int, course_key: str, lesson_key: str
    ) -> dict[str, bool]:
        """Question key → whether the scored answer was right, for one lesson."""
        rows = await self._db.fetch_all(
            "SELECT question_key, correct FROM quiz_answers WHERE user_id = ?"
            " AND course_key = ? AND lesson_key = ? AND is_first = 1",
            (user_id, course_key, lesson_key),
        )
        return {r["question_key"]: bool(r["correct"]) for r in rows}

    async def accuracy(self, user_id: int) -> tuple[int, int]:
        """(scored answers that were right, scored answers) over all lesson quizzes."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(correct), 0) AS n_right, COUNT(*) AS total FROM quiz_answers"
            " WHERE user_id = ? AND is_first = 1",
            (user_id,),
        )
        assert row is not None
        return int(row["n_right"]), int(row["total"])

    # ------------------------------------------------------------------ activity days

    async def add_review_activity(self, user_id: int, local_day: date) -> None:
        """Count a finished review item on ``local_day``."""
        await self._add_activity(user_id, local_day, reviews=1)

    async def activity_days(self, user_id: int) -> list[date]:
        """The local dates on which the learner finished a lesson or a review, ascending."""
        rows = await self._db.fetch_all(
            "SELECT local_date FROM activity_days WHERE user_id = ? ORDER BY local_date",
            (user_id,),
        )
        return [date.fromisoformat(r["local_date"]) for r in rows]

    async def active_on(self, user_id: int, local_day: date) -> bool:
        """True if the learner finished a lesson or review on ``local_day``."""
        value = await self._db.fetch_value(
            "SELECT 1 FROM activity_days WHERE user_id = ? AND local_date = ?",
            (user_id, local_day.isoformat()),
        )
        return value is not None

    async def _add_activity(self, user_id: int, local_day: date, *, lessons: int = 0,
                            reviews: int = 0) -> None:
        await self._db.write(
            """
            INSERT INTO activity_days (user_id, local_date, lessons, reviews) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id, local_date) DO UPDATE SET
                lessons = activity_days.lessons + excluded.lessons,
                reviews = activity_days.reviews + excluded.reviews
            """,
            (user_id, local_day.isoformat(), lessons, reviews),
        )


def _answer_record(outcome: Outcome) -> AnswerRecord:
    return AnswerRecord(is_first=bool(outcome.rows[0]["is_first"]))
