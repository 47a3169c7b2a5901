"""FSRS review scheduling: held to the ``fsrs`` package's own scheduler, the local-day due
dates, the daily limit, the predicted recall, the retention choice and the SM-2 migration."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fsrs
import pytest
from pydantic import SecretStr

from bot.clock import FixedClock
from bot.config import DatabaseSettings
from bot.handlers.render import recall_line
from bot.learning import review
from bot.learning.views import QuestionView, ReviewIdle
from bot.storage import Database, open_database
from bot.storage.db import to_epoch
from bot.storage.reviews import ReviewRepository
from bot.storage.users import UserRepository
from tests import pgcluster
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
)

JAKARTA = ZoneInfo("Asia/Jakarta")
JAYAPURA = ZoneInfo("Asia/Jayapura")
# 08:00 WIB on a Monday.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
_names = itertools.count()


def package_scheduler(retention: float = 0.9) -> fsrs.Scheduler:
    """A plain scheduler of the package, configured as the module docstring says."""
    return fsrs.Scheduler(desired_retention=retention, learning_steps=(), relearning_steps=(),
                          enable_fuzzing=False)


def local_date(moment: datetime, zone: ZoneInfo) -> Any:
    return moment.astimezone(zone).date()


# --------------------------------------------------------------------------- pure wrapper

HISTORY = [True, True, False, True, True, True, False, False, True, True]


@pytest.mark.parametrize("retention", review.RETENTION_CHOICES)
@pytest.mark.parametrize("zone", [JAKARTA, JAYAPURA])
def test_due_dates_match_the_package_for_the_same_history(retention: float,
                                                          zone: ZoneInfo) -> None:
    sched = package_scheduler(retention)
    card = fsrs.Card(card_id=1, due=START)
    memory: review.Memory | None = None
    now = START
    for correct in HISTORY:
        card, _ = sched.review_card(card, fsrs.Rating.Good if correct else fsrs.Rating.Again,
                                    review_datetime=now)
        done = review.review(memory, correct, now, zone, retention)
        memory = done.memory
        assert done.fsrs_due == card.due
        assert local_date(done.due_at, zone) == local_date(card.due, zone)
        assert done.due_at == review.local_midnight(local_date(card.due, zone), zone)
        assert (memory.stability, memory.difficulty) == (card.stability, card.difficulty)
        # The learner comes back at 19:30 local time on the due day.
        now = (done.due_at.astimezone(zone) + timedelta(hours=19, minutes=30)).astimezone(UTC)


def test_intervals_grow_after_right_answers_and_shrink_after_wrong_ones() -> None:
    memory: review.Memory | None = None
    now, intervals = START, []
    for correct in [True] * 5 + [False, True]:
        done = review.review(memory, correct, now, JAKARTA)
        intervals.append((done.fsrs_due - now).days)
        memory, now = done.memory, done.fsrs_due
    assert intervals[:5] == sorted(intervals[:5]) and len(set(intervals[:5])) == 5
    assert intervals[5] < intervals[4]  # wrong: shorter than the interval before
    assert intervals[6] > intervals[5]  # right again: it grows once more
    assert memory is not None and memory.lapses == 1


def test_a_new_card_starts_from_the_packages_first_rating() -> None:
    # Good from a new card: the package's initial stability (2.3 days → 2 days at 0.9).
    good = review.review(None, True, START, JAKARTA)
    assert good.rating == fsrs.Rating.Good and good.memory.state == int(fsrs.State.Review)
    assert good.due_at == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 4 March 00:00 WIB
    again = review.review(None, False, START, JAKARTA)
    assert again.rating == fsrs.Rating.Again
    assert again.due_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # tomorrow 00:00 WIB
    assert again.elapsed_days is None and again.retrievability is None
    # The migration's difficulty for ease 2.5 is the package's difficulty after a first Good.
    assert good.memory.difficulty == pytest.approx(2.1181, abs=1e-4)


def test_due_is_the_local_midnight_of_the_packages_due_day() -> None:
    # 23:30 WIB on 1 March is 16:30 UTC, already 2 March 01:30 in Jayapura (UTC+9).
    moment = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert review.local_due(moment, JAKARTA) == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert review.local_due(moment, JAYAPURA) == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_higher_retention_schedules_sooner() -> None:
    days = [(review.review(None, True, START, JAKARTA, r).fsrs_due - START).days
            for r in review.RETENTION_CHOICES]
    assert days == sorted(days, reverse=True) and days[0] > days[-1]


def test_most_forgotten_first() -> None:
    old = review.Memory(2.0, 5.0, 2, START - timedelta(days=20))
    recent = review.Memory(2.0, 5.0, 2, START - timedelta(days=3))
    strong = review.Memory(50.0, 5.0, 2, START - timedelta(days=20))
    assert review.forgotten_first([recent, strong, old], START) == [2, 0, 1]


def test_percent_rounds_half_up() -> None:
    assert (review.percent(0.855), review.percent(0.8549), review.percent(1.0)) == (86, 85, 100)


# --------------------------------------------------------------------------- the service


def one_course(questions: int = 2) -> Any:
    return catalogue(course("c1", lesson("l1", questions=questions),
                            lesson("l2", questions=questions)))


async def test_stored_schedule_matches_the_package(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, one_course(), clock)
    user = await learner(db, START)
    await do_lesson(svc, user, [1, 0])  # q1 right, q2 wrong
    sched = package_scheduler()
    cards = {"q1": fsrs.Card(card_id=1, due=START), "q2": fsrs.Card(card_id=2, due=START)}
    answers = {"q1": [True], "q2": [False]}
    for key in cards:
        cards[key], _ = sched.review_card(
            cards[key], fsrs.Rating.Good if answers[key][0] else fsrs.Rating.Again,
            review_datetime=START)
    repo = ReviewRepository(db)
    screen = Screen(user.id, 800)
    # Ten days of reviews at the moment each is due (local midnight) plus 9 hours.
    for _ in range(10):
        for key, card in cards.items():
            stored = await repo.get(user.id, "c1", "l1", key)
            assert stored is not None
            assert stored.due_at == review.local_due(card.due, JAKARTA)
            assert stored.stability == pytest.approx(card.stability, rel=1e-12)
        soonest = min(cards, key=lambda k: review.local_due(cards[k].due, JAKARTA))
        clock.set(review.local_due(cards[soonest].due, JAKARTA) + timedelta(hours=9))
        view = await svc.start_review(user, screen.show)
        assert isinstance(view, QuestionView) and view.question.key == soonest
        correct = len(answers[soonest]) % 3 != 0  # now and then wrong
        outcome = await svc.answer(user, user.id, screen.last_id, 0, 1 if correct else 0)
        assert outcome is not None
        answers[soonest].append(correct)
        cards[soonest], _ = sched.review_card(
            cards[soonest], fsrs.Rating.Good if correct else fsrs.Rating.Again,
            review_datetime=clock.now())
        await svc.next_review(user, user.id, screen.last_id, screen.same)
    logged = await db.fetch_all(
        "SELECT question_key, kind, rating FROM review_logs WHERE user_id = ? ORDER BY id",
        (user.id,))
    assert sum(1 for r in logged if r["kind"] == "lesson") == 2
    assert sum(1 for r in logged if r["kind"] == "review") == 10
    # A retake of the lesson quiz is practice: no new log, the schedule stays.
    before = await repo.get(user.id, "c1", "l1", "q1")
    retake = Screen(user.id, 950)
    shown = await svc.open_lesson(await fresh(db, user), "c1", "l1", retake.show)
    await finish_lesson(svc, await fresh(db, user), retake, shown, [0, 0])
    assert await repo.get(user.id, "c1", "l1", "q1") == before
    assert len(await db.fetch_all("SELECT id FROM review_logs WHERE user_id = ?",
                                  (user.id,))) == 12


async def test_predicted_recall_is_the_packages_retrievability(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, one_course(), clock)
    user = await fresh(db, await learner(db, START))
    await do_lesson(svc, user, [1, 0])
    clock.advance(timedelta(days=3, hours=5))
    user = await fresh(db, user)
    recall = await svc.recall(user, "c1")
    assert recall is not None and recall.items == 2
    sched = package_scheduler()
    values = []
    for correct in (True, False):
        card, _ = sched.review_card(fsrs.Card(card_id=1, due=START),
                                    fsrs.Rating.Good if correct else fsrs.Rating.Again,
                                    review_datetime=START)
        values.append(sched.get_card_retrievability(card, clock.now()))
    expected = round(100 * sum(values) / 2)
    assert recall.value == pytest.approx(sum(values) / 2)
    assert review.percent(recall.value) == expected
    assert f"±{expected} %" in recall_line("id", recall)
    assert f"±{expected}%" in recall_line("en", recall)
    # /review shows it with the item, and with the idle message.
    view = await svc.start_review(user, Screen(user.id, 900).show)
    assert isinstance(view, QuestionView) and view.recall == recall


async def test_a_returning_learner_gets_the_daily_limit_most_forgotten_first(
        db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, one_course(questions=3), clock, review_daily_limit=4)
    user = await learner(db, START)
    await do_lesson(svc, user, [0, 0, 0])  # l1: all wrong on day 1
    clock.advance(timedelta(days=3))
    await do_lesson(svc, await fresh(db, user), [0, 0, 0])  # l2: all wrong on day 4
    clock.advance(timedelta(days=30))  # back after a month: six items due
    user = await fresh(db, user)
    screen = Screen(user.id, 900)
    asked = []
    view: QuestionView | ReviewIdle | None = await svc.start_review(user, screen.show)
    for left in (4, 3, 2, 1):
        assert isinstance(view, QuestionView) and view.total == left
        asked.append(view.lesson.key)
        assert await svc.answer(user, user.id, screen.last_id, 0, 1) is not None
        view = await svc.next_review(user, user.id, screen.last_id, screen.show)
    # The oldest (most forgotten) lesson first; then today's limit is reached.
    assert asked == ["l1", "l1", "l1", "l2"]
    assert isinstance(view, ReviewIdle) and (view.limit, view.waiting) == (4, 2)
    assert view.next_due == review.local_midnight(
        clock.now().astimezone(JAKARTA).date() + timedelta(days=1), JAKARTA)
    assert await svc.reviews_due(user) == 2
    again = await svc.start_review(user, screen.show)
    assert isinstance(again, ReviewIdle) and again.limit == 4
    # The next local day the rest comes.
    clock.set(view.next_due + timedelta(hours=2))
    follow = await svc.start_review(user, screen.show)
    assert isinstance(follow, QuestionView) and follow.total == 2


async def test_retention_choice_is_checked_and_used(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, one_course(), clock)
    user = await learner(db, START)
    assert svc.retention(user) == 0.9
    assert await svc.set_retention(user, 80) is None
    chosen = await svc.set_retention(user, 95)
    assert chosen is not None and chosen.desired_retention == 0.95
    assert svc.retention(chosen) == 0.95
    await do_lesson(svc, chosen, [1, 1])
    item = await ReviewRepository(db).get(user.id, "c1", "l1", "q1")
    # Good from a new card: 1 day at 0.95 (2 days at 0.9).
    assert item is not None and item.due_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    logged = await db.fetch_value("SELECT MAX(retention) FROM review_logs WHERE user_id = ?",
                                  (user.id,))
    assert logged == 0.95


# --------------------------------------------------------------------------- migration


@pytest.fixture
async def blank(backend: str, tmp_path: Path, worker_id: str) -> AsyncIterator[Database]:
    """An empty database (no migration applied) on ``backend``."""
    if backend == "sqlite":
        database = open_database(DatabaseSettings(path=tmp_path / "old.db"))
        await database.open()
        yield database
        await database.close()
        return
    from tests.conftest import postgres_base_url

    base = postgres_base_url()
    name = f"sinau_fsrs_{worker_id}_{next(_names)}"
    url = pgcluster.create_database(base, name)
    database = open_database(DatabaseSettings(url=SecretStr(url), path=tmp_path / "unused.db"))
    await database.open()
    yield database
    await database.close()
    pgcluster.drop_database(base, name)


def migrations_of(backend: str) -> Any:
    if backend == "sqlite":
        from bot.storage.sqlite import bundled_migrations
    else:
        from bot.storage.postgres import bundled_migrations
    return bundled_migrations()


# (question, repetitions, interval days, ease, lapses, reviewed since the first answer)
SM2_ITEMS = [("q1", 2, 6, 2.5, 0, False), ("q2", 0, 1, 1.96, 1, True),
             ("q3", 3, 15, 2.5, 0, True), ("q4", 0, 1, 1.3, 4, True), ("q5", 0, 0, 2.5, 0, False)]


async def test_sm2_items_are_migrated_from_their_current_interval(blank: Database,
                                                                  backend: str) -> None:
    db = blank
    migrations = migrations_of(backend)
    assert await db.migrate(migrations[:9]) == 9
    now = to_epoch(START)
    await db.write("INSERT INTO users (id, first_name, timezone, created_at, last_seen_at)"
                   " VALUES (?, ?, ?, ?, ?)", (7, "Sari", "Asia/Jakarta", now, now))
    for i, (key, reps, interval, ease, lapses, reviewed) in enumerate(SM2_ITEMS):
        created = now + i
        last = created + 86400 if reviewed else None
        due = (last or created) + interval * 86400
        await db.write(
            "INSERT INTO review_items (user_id, course_key, lesson_key, question_key,"
            " repetitions, interval_days, ease, lapses, due_at, created_at, last_reviewed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (7, "c1", "l1", key, reps, interval, ease, lapses, due, created, last))
        await db.write(
            "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key, chosen,"
            " correct, is_first, source, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (7, "c1", "l1", key, 1, int(lapses == 0), 1, "lesson", created))
        if reviewed:
            await db.write(
                "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key,"
                " chosen, correct, is_first, source, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (7, "c1", "l1", key, 1, 1, 0, "review", last))
    assert await db.migrate() == len(migrations)

    repo = ReviewRepository(db)
    rows = await db.fetch_all("SELECT * FROM review_items ORDER BY question_key")
    assert [r["question_key"] for r in rows] == [item[0] for item in SM2_ITEMS]
    for row, (_key, _reps, interval, ease, lapses, reviewed) in zip(rows, SM2_ITEMS,
                                                                     strict=True):
        item = await repo.get(7, "c1", "l1", row["question_key"])
        assert item is not None
        assert item.stability == max(interval, 1)
        expected = min(10.0, max(1.0, 2.1181 + (2.5 - ease) * 6.5683))
        assert item.difficulty == pytest.approx(expected)
        assert item.fsrs_state == int(fsrs.State.Review) and item.lapses == lapses
        moment = item.created_at + timedelta(days=1) if reviewed else item.created_at
        assert item.last_reviewed_at == moment
        assert item.due_at == moment + timedelta(days=interval)  # the SM-2 due date kept
    logs = await db.fetch_all("SELECT kind, rating FROM review_logs ORDER BY reviewed_at, id")
    assert [(r["kind"], r["rating"]) for r in logs].count(("review", 3)) == 3
    assert sum(1 for r in logs if r["kind"] == "lesson") == len(SM2_ITEMS)
    # A migrated item schedules on: a right answer at its due date lengthens the interval.
    clock = FixedClock(START + timedelta(days=40))
    svc = service(db, one_course(questions=5), clock)
    user = await UserRepository(db).get(7)
    assert user is not None
    screen = Screen(7, 900)
    view = await svc.start_review(user, screen.show)
    assert isinstance(view, QuestionView) and view.total == len(SM2_ITEMS)
    key = view.question.key
    old = await repo.get(7, "c1", "l1", key)
    assert await svc.answer(user, 7, screen.last_id, 0, 1) is not None
    new = await repo.get(7, "c1", "l1", key)
    assert old is not None and new is not None and old.stability is not None
    assert new.stability is not None and new.stability > old.stability
