"""The final evaluation on a real database: mastery before credit, fair options, retakes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.content.lint import longest_options
from bot.content.loader import load_catalogue
from bot.learning.evaluation import EvaluationRefused, EvaluationResult
from bot.learning.views import QuestionView
from bot.storage.db import Database
from bot.storage.learning import LearningRepository
from bot.storage.users import UserRepository
from tests.learning.factories import (
    Screen,
    catalogue,
    course,
    do_lesson,
    fresh,
    learner,
    lesson,
    service,
    take_evaluation,
)

# 08:00 WIB on a Monday.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PACKS = Path(__file__).resolve().parents[2] / "bot" / "content" / "packs"


def six_question_course():  # noqa: ANN201 - a test helper
    return catalogue(course("c1", *(lesson(f"l{i}", minutes=15, questions=2) for i in range(3))))


async def finish_all(svc, user) -> None:  # noqa: ANN001 - test helper
    for _ in range(3):
        await do_lesson(svc, user, [1, 1])


async def test_a_course_counts_only_after_its_evaluation_is_passed(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, six_question_course(), clock, evaluation_cooldown_minutes=60)
    user = await learner(db, START)
    early = await take_evaluation(svc, user, "c1")
    assert isinstance(early, EvaluationRefused) and early.reason == "lessons"
    await finish_all(svc, user)
    report = await svc.progress(user)
    assert report.minutes_year == 0 and report.certificates == []

    # Fail: 3 of 6 right is 50 %. No JP, no certificate; the missed questions are due now.
    failed = await take_evaluation(svc, user, "c1", right=3)
    assert isinstance(failed, EvaluationResult)
    assert (failed.score, failed.passed, failed.total, failed.certificate) == (50, False, 6, None)
    assert failed.missed_lessons and failed.retake_at == START + timedelta(minutes=60)
    assert await svc.reviews_due(await fresh(db, user)) >= 3
    assert (await svc.progress(user)).minutes_year == 0
    status = await svc.evaluation_status(user, svc.catalogue.course("c1"))  # type: ignore[arg-type]
    assert (status.attempts, status.best_score, status.passed) == (1, 50, False)

    # A retake before the cooldown is refused, with when it opens.
    clock.advance(timedelta(minutes=59))
    refused = await take_evaluation(svc, user, "c1")
    assert isinstance(refused, EvaluationRefused) and refused.reason == "cooldown"
    assert refused.status is not None and refused.status.retake_at == failed.retake_at

    # Pass on the retake: 5 of 6 is 83 %. JP credited once, the certificate carries the score.
    clock.advance(timedelta(minutes=1))
    passed = await take_evaluation(svc, user, "c1", right=5)
    assert isinstance(passed, EvaluationResult)
    assert (passed.score, passed.passed, passed.first_pass, passed.minutes) == (83, True, True, 45)
    assert passed.certificate is not None and passed.certificate.score == 83
    assert passed.certificate.started_on == START.date()
    report = await svc.progress(user)
    assert report.minutes_year == 45 and report.jp_year == Decimal("1.0")
    again = await take_evaluation(svc, user, "c1")
    assert isinstance(again, EvaluationRefused) and again.reason == "passed"
    assert (await svc.progress(user)).minutes_year == 45


async def test_leaving_mid_test_continues_the_same_attempt(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, six_question_course(), clock)
    user = await learner(db, START)
    await finish_all(svc, user)
    screen = Screen(user.id, 4000)
    first = await svc.start_evaluation(user, "c1", screen.show)
    assert isinstance(first, QuestionView) and first.total == 6
    message = screen.last_id
    answered = await svc.answer_evaluation(user, user.id, message, 0, first.question.correct)
    assert answered is not None and answered.next_view is not None
    # A stale, a forged and a foreign press change nothing.
    assert await svc.answer_evaluation(user, user.id, message, 0, 0) is None
    assert await svc.answer_evaluation(user, user.id, message, 1, 99) is None
    other = await learner(db, START, user_id=102, name="Rina")
    assert await svc.answer_evaluation(other, user.id, message, 1, 0) is None
    # Starting again shows the question on screen (a new message), not a fresh draw.
    again = await svc.start_evaluation(user, "c1", screen.show)
    assert isinstance(again, QuestionView) and again.position == 1
    assert (again.question.key, again.lesson.key, again.order) == (
        answered.next_view.question.key, answered.next_view.lesson.key,
        answered.next_view.order)
    assert await svc.answer_evaluation(user, user.id, message, 1, 0) is None  # old message


async def test_the_certificate_waits_for_the_nip(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, six_question_course(), clock)
    user = await learner(db, START, nip=None)
    await finish_all(svc, user)
    result = await take_evaluation(svc, user, "c1")
    assert isinstance(result, EvaluationResult) and result.passed and result.certificate is None
    assert [c.key for c, _ in await svc.pending_certificates(user)] == ["c1"]
    assert await svc.issue_pending_certificates(user) == []
    await UserRepository(db).update_profile(user.id, nip="198503122010012003")
    [record] = await svc.issue_pending_certificates(user)
    assert record.nip == "198503122010012003" and record.score == 100
    assert await svc.pending_certificates(user) == []


async def test_balanced_orders_spread_the_correct_option_over_every_position(
        db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, six_question_course(), clock, evaluation_cooldown_minutes=0)
    user = await learner(db, START)
    await finish_all(svc, user)
    screen = Screen(user.id, 5000)
    view = await svc.start_evaluation(user, "c1", screen.show)
    places: Counter[int] = Counter()
    options = 0
    while isinstance(view, QuestionView):
        options = len(view.question.options)
        places[view.order.index(view.question.correct)] += 1
        answered = await svc.answer_evaluation(user, user.id, screen.last_id, view.position,
                                               view.order[0])
        assert answered is not None
        view = answered.next_view  # type: ignore[assignment]
    # 6 questions of 3 options each: the correct one is at each place exactly twice.
    assert options == 3 and places == Counter({0: 2, 1: 2, 2: 2})


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_guessing_by_position_or_length_fails_every_shipped_course(
        db: Database, lang: str) -> None:
    """Always the first option, or always the longest (a tie counts as a hit), scores below
    the pass mark in every shipped course's evaluation, on any draw: the options' order puts
    the correct one at every position in turn, and the packs keep the longest option from
    being the answer more often than a pass needs."""
    courses = list(load_catalogue(PACKS))
    clock = FixedClock(START)
    svc = service(db, catalogue(*courses), clock, evaluation_cooldown_minutes=0)
    records = LearningRepository(db)
    user = await learner(db, START)
    await UserRepository(db).update_profile(user.id, language=lang)
    size = svc.settings.evaluation_questions
    for pack in courses:
        # Worst case over every draw: the questions where the longest option is right.
        hits = sum(1 for x in pack.lessons for q in x.quiz
                   if q.correct in longest_options(q, lang))
        draw = min(size, sum(len(x.quiz) for x in pack.lessons))
        assert 100 * min(hits, draw) // draw < pack.pass_mark, (pack.key, hits, draw)
        for x in pack.lessons:
            await records.see_card(user.id, pack.key, x.key, len(x.cards) - 1, True, START)
            await records.complete_lesson(user.id, pack.key, x.key, x.minutes, START,
                                          START.date())
        for strategy in ("first", "longest"):
            for _ in range(5):
                result = await _guess(svc, user, pack.key, strategy, lang)
                assert not result.passed and result.score < pack.pass_mark, (
                    pack.key, strategy, result.score)


async def _guess(svc, user, course_key: str, strategy: str,  # noqa: ANN001
                 lang: str) -> EvaluationResult:
    screen = Screen(user.id, 9000)
    view = await svc.start_evaluation(await fresh(svc._db, user), course_key, screen.show)
    assert isinstance(view, QuestionView), view
    while True:
        if strategy == "first":
            option = view.order[0]
        else:
            longest = longest_options(view.question, lang)
            option = next(o for o in view.order if o in longest)
        answered = await svc.answer_evaluation(user, user.id, screen.last_id, view.position,
                                               option)
        assert answered is not None
        if answered.result is not None:
            return answered.result
        view = answered.next_view
