"""A changed pack keeps progress on lessons whose keys remain; earned JP stays earned."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FixedClock
from bot.storage.db import Database
from tests.learning.factories import (
    Screen,
    catalogue,
    course,
    do_lesson,
    learner,
    lesson,
    service,
    take_evaluation,
)

START = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


async def test_reloading_a_changed_pack_keeps_progress(db: Database) -> None:
    clock = FixedClock(START)
    old = catalogue(course("c1", lesson("la", minutes=10), lesson("lb", minutes=20),
                           lesson("lc", minutes=15)))
    svc = service(db, old, clock)
    user = await learner(db, START)
    await do_lesson(svc, user, [1, 1])  # a
    await do_lesson(svc, user, [1, 0])  # b
    report = await svc.progress(user)
    # Lessons alone credit nothing: the course counts once its evaluation is passed.
    assert (report.courses[0].done, report.courses[0].total, report.minutes_year) == (2, 3, 0)

    # New version: lesson b removed, a new lesson d inserted first, a made longer.
    new = catalogue(course("c1", lesson("ld", minutes=5), lesson("la", minutes=30),
                           lesson("lc", minutes=15)))
    svc.catalogue.replace(new)
    report = await svc.progress(user)
    progress = report.courses[0]
    assert (progress.done, progress.total) == (1, 3)  # a still done; b no longer counts
    assert progress.next_lesson is not None and progress.next_lesson.key == "ld"
    assert (report.right, report.answered) == (3, 4)  # what the learner answered stays
    # The review item of the removed lesson is dropped when it would be asked.
    clock.set(datetime(2026, 5, 20, 1, 0, tzinfo=UTC))
    view = await svc.start_review(user, Screen(user.id, 900).show)
    assert getattr(view, "lesson", None) is not None and view.lesson.key == "la"  # type: ignore

    # Finishing the remaining lessons completes the course under the new pack.
    await do_lesson(svc, user, [1, 1])  # d
    outcome = await do_lesson(svc, user, [1, 1])  # c
    assert outcome.finished.course_done and outcome.finished.certificate is None
    result = await take_evaluation(svc, user, "c1")
    assert result.passed and result.certificate is not None
    # The minutes credited are those of the current lessons as credited: 5 + 10 + 15 (b's
    # lesson left the pack before the course was passed, so it is not part of it).
    assert result.certificate.minutes == 30
    assert (await svc.progress(user)).minutes_year == 5 + 10 + 15


async def test_a_changed_quiz_needs_the_new_question_answered(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, catalogue(course("c1", lesson("la", questions=2), lesson("lb"))), clock)
    user = await learner(db, START)
    screen = Screen(user.id)
    view = await svc.open_next_lesson(user, screen.show)
    assert view is not None
    view = await svc.turn_card(user, user.id, screen.last_id, 0)
    assert view is not None
    question = await svc.start_quiz(user, user.id, screen.last_id, 1, screen.show)
    assert question is not None
    await svc.answer(user, user.id, screen.last_id, 0, 1)
    # The pack gains a third question before the learner finishes.
    svc.catalogue.replace(catalogue(course("c1", lesson("la", questions=3), lesson("lb"))))
    outcome = await do_lesson(svc, user, [1, 1, 1])
    assert outcome.finished.completed_now
    assert (await svc.progress(user)).answered == 3
