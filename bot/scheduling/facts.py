"""The nudge's content, read from the learning service's snapshot of a learner."""

from __future__ import annotations

from bot.learning.service import LearningService
from bot.learning.views import LearnerSnapshot
from bot.scheduling.deadlines import PathCourse
from bot.scheduling.render import NudgeFacts


class LearningFacts:
    """Adapts ``LearningService.snapshot`` to what a nudge needs."""

    def __init__(self, learning: LearningService) -> None:
        self._learning = learning

    async def facts(self, user_id: int, lang: str) -> NudgeFacts | None:
        """The learner's next lesson, reviews, streak and JP; None for an unknown learner."""
        snap = await self._learning.snapshot(user_id)
        if snap is None:
            return None
        return NudgeFacts(
            learned_today=snap.learned_today,
            streak=snap.streak,
            lesson_title=snap.lesson_title.get(lang) if snap.lesson_title else None,
            lesson_minutes=snap.lesson_minutes,
            reviews_due=snap.reviews_due,
            jp_year=snap.jp_year,
            jp_target=snap.jp_target,
            path=_path(snap, lang),
        )


def _path(snap: LearnerSnapshot, lang: str) -> tuple[PathCourse, ...]:
    """The courses of the learner's cohort paths, as deadline reminders need them."""
    return tuple(
        PathCourse(cohort_id=programme.cohort_id, cohort_name=programme.name,
                   course_key=step.course_key, title=step.progress.course.title.get(lang),
                   deadline=step.deadline, finished=step.passed,
                   assigned_at=step.assigned_at, joined_at=step.joined_at)
        for programme in snap.programmes for step in programme.steps
    )
