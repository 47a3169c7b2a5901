"""The cohort is the learner's path: /learn and the dashboard follow the cohorts' courses, in
their order, with deadlines read in the learner's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.learning.path import deadline_text
from bot.learning.views import LessonView
from bot.storage.db import Database
from bot.training.cohorts import PastDeadline
from bot.wiring import Services
from tests.conftest import composed
from tests.learning.factories import (
    Screen,
    catalogue,
    course,
    do_lesson,
    fresh,
    learner,
    lesson,
    take_evaluation,
)

# Monday 1 June 2026, 10:00 in Jakarta.
START = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ADMIN = 1
CATALOGUE = catalogue(
    course("alpha", lesson("a1"), lesson("a2"), order=1),
    course("beta", lesson("b1"), order=2),
    course("gamma", lesson("g1"), lesson("g2"), order=3),
)


def services(db: Database, clock: FixedClock) -> Services:
    """The bot's services over a catalogue of three courses."""
    return composed(db, clock, Settings(access={"admin_ids": [ADMIN]}), catalogue=CATALOGUE)


async def cohort(svc: Services, name: str, *path: tuple[str, date | None],
                 members: tuple[int, ...] = ()) -> int:
    """A cohort with these courses (and deadlines) in this order, and these members."""
    cohorts = svc.training.cohorts
    made = await cohorts.create(name, by=ADMIN)
    for key, deadline in path:
        await cohorts.set_deadline(made.id, key, deadline)
    for member in members:
        assert (await cohorts.join(made.invite_code, member)).outcome == "joined"
    return made.id


async def next_course(svc: Services, user_id: int) -> str | None:
    """The course /learn opens next for the learner (its lesson is shown)."""
    screen = Screen(user_id)
    user = await svc.users.get(user_id)
    assert user is not None
    step = await svc.learning.next_step(user, screen.show)
    return step.course.key if step is not None else None


async def test_without_a_cohort_learn_keeps_the_catalogue_order(db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    await learner(db, START, 101)
    assert await next_course(svc, 101) == "alpha"
    snap = await svc.learning.snapshot(101)
    assert snap is not None and snap.programmes == ()


async def test_a_member_follows_the_cohort_path_not_the_catalogue(db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    user = await learner(db, START, 101)
    await cohort(svc, "Kelurahan Petompon", ("gamma", date(2026, 6, 30)), ("beta", None),
                 members=(101,))
    assert await next_course(svc, 101) == "gamma"
    # Its lessons done, the path's next step is gamma's final evaluation, not beta.
    await do_lesson(svc.learning, user, [1, 1])
    await do_lesson(svc.learning, user, [1, 1])
    step = await svc.learning.next_step(await fresh(db, user), Screen(101).show)
    assert not isinstance(step, LessonView) and step is not None
    assert step.course.key == "gamma"
    # Passed, gamma is finished: the path goes on to beta.
    await take_evaluation(svc.learning, user, "gamma")
    assert await next_course(svc, 101) == "beta"
    await do_lesson(svc.learning, user, [1, 1])
    await take_evaluation(svc.learning, user, "beta")
    # The path finished, /learn goes on in the catalogue's order.
    assert await next_course(svc, 101) == "alpha"


async def test_two_cohorts_the_earliest_deadline_first(db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    await learner(db, START, 101)
    await cohort(svc, "Angkatan 1", ("alpha", date(2026, 7, 30)), members=(101,))
    await cohort(svc, "Angkatan 2", ("gamma", date(2026, 6, 20)), ("beta", None),
                 members=(101,))
    assert await next_course(svc, 101) == "gamma"
    snap = await svc.learning.snapshot(101)
    assert snap is not None
    assert [p.name for p in snap.programmes] == ["Angkatan 1", "Angkatan 2"]
    assert [[s.course_key for s in p.steps] for p in snap.programmes] == [
        ["alpha"], ["gamma", "beta"]]
    assert [s.deadline for s in snap.programmes[1].steps] == [date(2026, 6, 20), None]
    assert snap.course_key == "gamma" and snap.today == date(2026, 6, 1)


async def test_a_course_without_a_deadline_comes_after_those_with_one(db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    await learner(db, START, 101)
    await cohort(svc, "Angkatan 1", ("beta", None), members=(101,))
    await cohort(svc, "Angkatan 2", ("gamma", date(2026, 8, 1)), members=(101,))
    assert await next_course(svc, 101) == "gamma"


async def test_the_course_in_progress_is_continued_first(db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    user = await learner(db, START, 101)
    await do_lesson(svc.learning, user, [1, 1])  # alpha, one of two lessons
    await cohort(svc, "Angkatan 1", ("beta", date(2026, 6, 10)), members=(101,))
    assert await next_course(svc, 101) == "alpha"


async def test_an_archived_cohort_and_a_course_turned_off_leave_the_path(
        db: Database) -> None:
    clock = FixedClock(START)
    svc = services(db, clock)
    await learner(db, START, 101)
    first = await cohort(svc, "Angkatan 1", ("gamma", None), members=(101,))
    second = await cohort(svc, "Angkatan 2", ("beta", None), ("alpha", None), members=(101,))
    await svc.training.cohorts.archive(first)
    assert await svc.training.cohorts.toggle_course(second, "beta") is False
    snap = await svc.learning.snapshot(101)
    assert snap is not None
    assert [(p.name, [s.course_key for s in p.steps]) for p in snap.programmes] == [
        ("Angkatan 2", ["alpha"])]


async def test_a_deadline_in_the_past_is_refused(db: Database) -> None:
    # 23:30 on 31 May UTC is already 1 June in Jakarta: 31 May is in the past there.
    clock = FixedClock(datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    svc = services(db, clock)
    made = await svc.training.cohorts.create("Angkatan 1", by=ADMIN)
    with pytest.raises(PastDeadline):
        await svc.training.cohorts.set_deadline(made.id, "alpha", date(2026, 5, 31))
    assert await svc.training.cohorts.courses(made.id) == []
    await svc.training.cohorts.set_deadline(made.id, "alpha", date(2026, 6, 1))
    [assigned] = await svc.training.cohorts.courses(made.id)
    assert assigned.deadline == "2026-06-01"


@pytest.mark.parametrize(("days", "id_text", "en_text"), [
    (3, "30 Jun (3 hari lagi)", "30 Jun (in 3 days)"),
    (1, "30 Jun (besok)", "30 Jun (tomorrow)"),
    (0, "30 Jun (hari ini)", "30 Jun (today)"),
    (-2, "30 Jun (lewat 2 hari)", "30 Jun (2 days overdue)"),
])
def test_deadlines_read_absolute_and_relative(days: int, id_text: str, en_text: str) -> None:
    deadline = date(2026, 6, 30)
    today = deadline - timedelta(days=days)
    assert deadline_text("id", deadline, today) == id_text
    assert deadline_text("en", deadline, today) == en_text


def test_a_deadline_in_another_year_names_the_year() -> None:
    assert deadline_text("id", date(2027, 1, 5), date(2026, 12, 30)) == (
        "5 Jan 2027 (6 hari lagi)")


async def test_the_deadline_is_read_in_the_learners_zone(db: Database) -> None:
    # 15:30 UTC on 28 June: 22:30 on the 28th in Jakarta (UTC+7), already 00:30 on the 29th
    # in Jayapura (UTC+9).
    clock = FixedClock(datetime(2026, 6, 28, 10, 0, tzinfo=UTC))
    svc = services(db, clock)
    await learner(db, clock.now(), 101, timezone="Asia/Jakarta")
    await learner(db, clock.now(), 102, timezone="Asia/Jayapura")
    await cohort(svc, "Angkatan 1", ("alpha", date(2026, 6, 30)), members=(101, 102))
    clock.set(datetime(2026, 6, 28, 15, 30, tzinfo=UTC))
    west, east = await svc.learning.snapshot(101), await svc.learning.snapshot(102)
    assert west is not None and east is not None
    step = west.programmes[0].steps[0]
    assert west.today is not None and east.today is not None and step.deadline is not None
    assert deadline_text("id", step.deadline, west.today) == "30 Jun (2 hari lagi)"
    assert deadline_text("id", step.deadline, east.today) == "30 Jun (besok)"
