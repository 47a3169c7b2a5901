"""LearningService on a real database with a FixedClock: the journey's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.clock import FixedClock
from bot.learning.views import QuestionView, ReviewIdle
from bot.storage.db import Database
from bot.storage.learning import LearningRepository
from tests.conftest import composed
from tests.learning.factories import (
    Screen,
    catalogue,
    course,
    do_lesson,
    finish_lesson,
    fresh,
    learner,
    lesson,
    service,
    take_evaluation,
)

# 08:00 WIB on a Monday.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def two_lesson_course():  # noqa: ANN201 - a test helper
    return catalogue(course("c1", lesson("l1", minutes=10, cards=3), lesson("l2", minutes=15)),
                     course("c2", lesson("m1", minutes=45, cards=1), order=2))


async def test_lesson_paging_then_quiz_completes_and_credits_minutes(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, START)
    screen = Screen(user.id)
    view = await svc.open_next_lesson(user, screen.show)
    card = screen.last_id
    assert view is not None and (view.course.key, view.lesson.key, view.card) == ("c1", "l1", 0)
    # Not on the last card.
    assert await svc.start_quiz(user, user.id, card, 0, screen.show) is None
    view = await svc.turn_card(user, user.id, card, 0)
    assert view is not None and view.card == 1
    assert await svc.turn_card(user, user.id, card, 0) is None  # replayed press
    view = await svc.turn_card(user, user.id, card, 1)
    assert view is not None and view.last
    assert await svc.turn_card(user, user.id, card, 2) is None  # no card after last
    question = await svc.start_quiz(user, user.id, card, 2, screen.show)
    quiz = screen.last_id
    assert isinstance(question, QuestionView) and question.total == 2
    # Quiz already running.
    assert await svc.start_quiz(user, user.id, card, 2, screen.show) is None
    first = await svc.answer(user, user.id, quiz, 0, 1)
    assert first is not None and first.correct and first.scored and first.finished is None
    assert await svc.answer(user, user.id, quiz, 0, 0) is None  # answered already
    question = await svc.next_question(user, user.id, quiz, 0)
    assert question is not None and question.position == 1
    last = await svc.answer(user, user.id, quiz, 1, 0)
    assert last is not None and not last.correct and last.finished is not None
    assert last.finished.completed_now and last.finished.minutes == 10
    assert last.finished.right == 1 and last.finished.total == 2
    assert last.finished.next_lesson is not None and last.finished.next_lesson.key == "l2"
    report = await svc.progress(user)
    assert [(c.course.key, c.done, c.total) for c in report.courses] == [("c1", 1, 2),
                                                                         ("c2", 0, 1)]
    assert (report.right, report.answered) == (1, 2)
    # A lesson's minutes count once its course's final evaluation is passed, not before.
    assert report.minutes_year == 0 and report.jp_year == Decimal("0.0")
    assert report.current_streak == 1 and report.longest_streak == 1


async def test_first_answer_counts_retries_are_practice(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, START)
    await do_lesson(svc, user, [0, 0])  # both wrong
    assert (await svc.progress(user)).right == 0
    # Retake the same lesson's quiz: open it again and answer right — still 0/2.
    screen = Screen(user.id, 700)
    view = await svc.open_lesson(user, "c1", "l1", screen.show)
    assert view is not None and view.card == 0
    card = screen.last_id
    for number in range(2):
        view = await svc.turn_card(user, user.id, card, number)
        assert view is not None
    question = await svc.start_quiz(user, user.id, card, 2, screen.show)
    assert question is not None
    outcome = await svc.answer(user, user.id, screen.last_id, 0, 1)
    assert outcome is not None and outcome.correct and not outcome.scored
    report = await svc.progress(user)
    assert (report.right, report.answered) == (0, 2)
    assert report.minutes_year == 0  # nothing counts before the course's evaluation


async def test_foreign_forged_and_old_presses_change_nothing(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    owner = await learner(db, START, 1)
    other = await learner(db, START, 2, name="Eko")
    screen = Screen(owner.id)
    view = await svc.open_next_lesson(owner, screen.show)
    assert view is not None and screen.last_id == 500
    assert await svc.turn_card(other, owner.id, 500, 0) is None  # someone else
    assert await svc.turn_card(owner, owner.id, 499, 0) is None  # another message
    assert await svc.turn_card(owner, owner.id, 599, 0) is None  # a message with no session
    view = await svc.turn_card(owner, owner.id, 500, 0)
    view = await svc.turn_card(owner, owner.id, 500, 1)
    assert view is not None
    question = await svc.start_quiz(owner, owner.id, 500, 2, screen.show)
    assert question is not None and screen.last_id == 501
    assert await svc.answer(other, owner.id, 501, 0, 1) is None
    assert await svc.answer(owner, owner.id, 501, 0, 7) is None  # no option 7
    assert await svc.answer(owner, owner.id, 501, 1, 1) is None  # wrong position
    assert await svc.answer(owner, owner.id, 500, 0, 1) is None  # the lesson's message
    assert await svc.answer(owner, owner.id, 501, 0, 1) is not None
    # A newer lesson message makes the old lesson message's buttons stale.
    again = await svc.open_next_lesson(await fresh(db, owner), screen.show)
    assert again is not None and screen.last_id == 502
    assert await svc.start_quiz(owner, owner.id, 500, 2, screen.show) is None
    assert (await svc.progress(owner)).answered == 1
    assert (await svc.progress(other)).answered == 0


async def test_wrong_answer_is_due_next_local_day_right_one_later(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, START)
    await do_lesson(svc, user, [1, 0])  # q1 right, q2 wrong
    screen = Screen(user.id, 800)
    idle = await svc.start_review(user, screen.show)
    # Next due: tomorrow 00:00 WIB = 17:00 UTC today.
    assert isinstance(idle, ReviewIdle) and idle.next_due == datetime(2026, 3, 2, 17, 0,
                                                                      tzinfo=UTC)
    clock.set(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    view = await svc.start_review(user, screen.show)
    shown = screen.last_id
    assert isinstance(view, QuestionView) and view.question.key == "q2" and view.total == 1
    outcome = await svc.answer(user, user.id, shown, 0, 1)
    assert outcome is not None and outcome.correct and not outcome.scored
    assert await svc.answer(user, user.id, shown, 0, 1) is None
    after = await svc.next_review(user, user.id, shown, screen.same)
    # FSRS: q2 right at 00:00, the same day as its first answer (a short-term review): next in
    # 1 day (4 March 00:00 WIB), as q1 (Good from new: 2 days after 2 March).
    assert isinstance(after, ReviewIdle)
    assert after.next_due == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
    assert await svc.next_review(user, user.id, shown, screen.same) is None  # replay
    # Reviews are practice: accuracy unchanged, but the review day counts for the streak.
    report = await svc.progress(user)
    assert (report.right, report.answered) == (1, 2)
    assert report.current_streak == 2
    clock.set(datetime(2026, 3, 7, 17, 0, tzinfo=UTC))  # 8 March 00:00 WIB
    due = await svc.start_review(user, screen.show)
    assert isinstance(due, QuestionView) and due.total == 2
    assert due.question.key == "q2"  # most forgotten first (lower stability than q1)


async def test_streaks_follow_the_learners_zone(db: Database) -> None:
    # 23:30 WIB on 2 March is 01:30 WIT on 3 March.
    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    clock = FixedClock(late)
    cat = catalogue(course("c1", *[lesson(f"l{i}", cards=1) for i in range(1, 6)]))
    svc = service(db, cat, clock)
    wib = await learner(db, late, 1, timezone="Asia/Jakarta")
    wit = await learner(db, late, 2, timezone="Asia/Jayapura")
    for user in (wib, wit):
        await do_lesson(svc, user, [1, 1])
    records = LearningRepository(db)
    assert (await records.activity_days(1))[0].isoformat() == "2026-03-02"
    assert (await records.activity_days(2))[0].isoformat() == "2026-03-03"
    # 40 minutes later it is 3 March 00:10 in Jakarta: a lesson then makes a 2-day streak.
    clock.advance(timedelta(minutes=40))
    snap = await svc.snapshot(1)
    assert snap is not None and snap.streak == 1 and not snap.learned_today
    await do_lesson(svc, wib, [1, 1])
    snap = await svc.snapshot(1)
    assert snap is not None and snap.streak == 2 and snap.learned_today
    # The WIT learner's second lesson falls on the same local day: streak stays 1.
    await do_lesson(svc, wit, [1, 1])
    snap = await svc.snapshot(2)
    assert snap is not None and snap.streak == 1
    # Skip a whole day: on 5 March the WIB streak is broken.
    clock.set(datetime(2026, 3, 4, 17, 30, tzinfo=UTC))
    snap = await svc.snapshot(1)
    assert snap is not None and snap.streak == 0
    assert (await svc.progress(wib)).longest_streak == 2


async def test_jp_counts_this_year_only(db: Database) -> None:
    # 31 Dec 23:50 WIB: a 45-minute lesson counts for that year, not the next.
    clock = FixedClock(datetime(2025, 12, 31, 16, 50, tzinfo=UTC))
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, clock.now())
    await svc.choose_course(user, "c2")
    await do_lesson(svc, user, [1, 1])
    assert (await svc.progress(user)).jp_year == Decimal("0.0")  # lessons alone: no credit
    result = await take_evaluation(svc, user, "c2")
    assert result.passed and result.first_pass and result.minutes == 45
    assert (await svc.progress(user)).jp_year == Decimal("1.0")
    clock.advance(timedelta(minutes=20))  # 1 Jan 00:10 WIB
    report = await svc.progress(user)
    assert report.minutes_year == 0 and report.jp_year == Decimal("0.0")
    assert report.jp_target == 20


async def test_course_completion_issues_one_certificate(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, START)
    await svc.choose_course(user, "c2")
    outcome = await do_lesson(svc, user, [1, 0])
    finished = outcome.finished
    # Every lesson done is not yet a course done: no certificate before the evaluation.
    assert finished.course_done and finished.certificate is None
    assert await svc.pending_certificates(user) == []
    failed = await take_evaluation(svc, user, "c2", right=0)
    assert not failed.passed and failed.certificate is None and failed.score == 0
    clock.advance(timedelta(hours=1))
    result = await take_evaluation(svc, user, "c2")
    assert result.passed and result.score == 100 and result.certificate is not None
    record = result.certificate
    assert (record.name, record.unit, record.minutes) == ("Sari", "Kelurahan Petompon", 45)
    assert record.score == 100 and record.nip == user.nip
    assert record.completed_on.isoformat() == "2026-03-02"
    assert record.course_title == "Course c2 (id)"
    assert await svc.verify(record.code.lower()) == record
    assert await svc.verify("SNU-AAAA-AAAA") is None
    assert await svc.verify("nonsense") is None
    # The current course is complete: /learn moves on to the first open course.
    screen = Screen(user.id, 900)
    view = await svc.open_next_lesson(await fresh(db, user), screen.show)
    assert view is not None and view.course.key == "c1"
    # A practice retake of the finished course's lesson issues nothing new.
    again = await svc.open_lesson(user, "c2", "m1", screen.show)
    assert again is not None
    retake = await finish_lesson(svc, user, screen, again, [1, 1])
    assert retake is not None and retake.finished is not None
    assert retake.finished.certificate is None and not retake.finished.completed_now
    assert len((await svc.progress(user)).certificates) == 1


async def test_onboarding_finishes_once_and_joins_the_invite_cohort_once(db: Database) -> None:
    clock = FixedClock(START)
    services = composed(db, clock)
    cohort = await services.training.cohorts.create("Angkatan 1", by=1)
    users = services.users
    user = await users.seen(user_id=101, first_name="Sari", last_name=None, username=None,
                            language_code="en")
    onboarding = services.onboarding
    started = await onboarding.start(user, cohort.invite_code)
    assert started.onboarding and started.joined is None  # joined when the learner starts
    assert not started.user.onboarded and started.user.language is None
    accepted = await onboarding.accept(started.user, "en")
    assert accepted.user.onboarded and accepted.user.language == "en"
    assert accepted.joined is not None and accepted.joined.outcome == "joined"
    assert accepted.ask_unit  # the cohort reports by unit, and none is known
    # Starting again (a second tap, another worker) joins nothing twice, asks nothing twice.
    again = await onboarding.accept(accepted.user, "id")
    assert again.joined is None and not again.ask_unit and again.user.language == "en"
    restart = await onboarding.start(again.user, cohort.invite_code)
    assert not restart.onboarding and restart.joined is not None
    assert restart.joined.outcome == "already"
    # Each late question is claimed once; an answered one is never asked.
    user = restart.user
    assert await onboarding.claim(user, "time")
    user = await users.get(user.id)
    assert user is not None and not await onboarding.claim(user, "time")
    saved = await onboarding.answer(user, "time", "0630")
    assert saved is not None and saved.ask == "saved" and saved.user.nudge_time == "06:30"
    assert await onboarding.answer(user, "time", "0631") is None  # not a preset
    named = await onboarding.answer(user, "name", "keep")
    assert named is not None and named.user.display_name == user.name
    assert not await onboarding.claim(named.user, "name")
    prefs = await LearningRepository(db).prefs(101)
    assert prefs.nudge_time == "06:30" and prefs.nudge_days == "daily"


async def test_snapshot_fields(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, two_lesson_course(), clock)
    user = await learner(db, START)
    snap = await svc.snapshot(user.id)
    assert snap is not None
    assert (snap.course_key, snap.lesson_key, snap.lesson_minutes) == ("c1", "l1", 10)
    assert snap.course_title is not None and snap.course_title.get("en") == "Course c1 (en)"
    assert snap.lesson_title is not None and snap.lesson_title.get("id") == "Lesson l1 (id)"
    assert (snap.reviews_due, snap.streak, snap.learned_today) == (0, 0, False)
    assert (snap.jp_year, snap.jp_target) == (Decimal("0.0"), 20)
    await do_lesson(svc, user, [0, 0])
    clock.advance(timedelta(days=1))
    snap = await svc.snapshot(user.id)
    assert snap is not None and snap.lesson_key == "l2" and snap.reviews_due == 2
    assert snap.streak == 1 and not snap.learned_today and snap.minutes_year == 0
    assert await svc.snapshot(999) is None
