"""Deadline reminders and path notices ride the daily nudge: 7 days and 1 day before, once
when overdue, each exactly once, never lost to a day without a nudge, never while paused
or stopped.

The real services over a real database: the nudge's facts come from the learning service's
snapshot of the learner's cohort paths; only the sender is scripted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.config import Settings
from bot.delivery.attempt import SendAttempt
from bot.delivery.models import OutgoingMessage
from bot.storage import to_epoch
from bot.storage.db import Database
from bot.storage.nudges import NudgeRepository
from bot.wiring import Services
from tests.conftest import composed
from tests.fakes import ScriptedSender
from tests.learning.factories import (
    catalogue,
    course,
    do_lesson,
    learner,
    lesson,
    take_evaluation,
)

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = 1
SARI = 101
# Monday 1 June 2026, 10:00 in Jakarta: today's 07:30 nudge time has passed.
START = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
CATALOGUE = catalogue(
    course("alpha", lesson("a1"), order=1),
    course("beta", lesson("b1"), order=2),
    course("gamma", lesson("g1"), order=3),
)


class World:
    """The bot's services on a moving clock, a scripted sender, one cohort."""

    def __init__(self, db: Database, *, backoff_after: int = 30) -> None:
        self.db = db
        self.clock = FixedClock(START)
        self.sender = ScriptedSender()
        # These learners never answer: no back-off unless a test asks for it.
        settings = Settings(access={"admin_ids": [ADMIN]},
                            nudges={"backoff_after": backoff_after})
        self.svc: Services = composed(db, self.clock, settings, sender=self.sender,
                                      catalogue=CATALOGUE)
        self.cohort_id = 0

    async def member(self, user_id: int = SARI, *, at: str = "07:30",
                     lang: str = "id") -> None:
        """An onboarded learner with a nudge time, in the cohort."""
        await learner(self.db, self.clock.now(), user_id)
        await self.db.execute(
            "UPDATE users SET nudge_time = ?, language = ?, onboarded_at = ? WHERE id = ?",
            (at, lang, to_epoch(self.clock.now()), user_id))
        cohort = await self.svc.training.cohorts.get(self.cohort_id)
        assert cohort is not None
        assert (await self.svc.training.cohorts.join(cohort.invite_code, user_id)).outcome \
            == "joined"
        await self.replan()

    async def replan(self) -> None:
        """What the running bot's next tick does after a change to a learner's nudges."""
        await self.svc.nudges.replan()

    async def path(self, *courses: tuple[str, date | None]) -> None:
        """Create the cohort with these courses and deadlines."""
        made = await self.svc.training.cohorts.create("Kelurahan Petompon", by=ADMIN)
        self.cohort_id = made.id
        for key, deadline in courses:
            await self.svc.training.cohorts.set_deadline(made.id, key, deadline)

    async def day(self, day: date, at: time = time(7, 31)) -> list[str]:
        """Move to ``at`` on ``day`` (Jakarta), dispatch the nudges; the texts sent then."""
        self.clock.set(datetime.combine(day, at, tzinfo=WIB))
        before = len(self.sender.messages)
        await self.svc.nudges.dispatch()
        return [m.text for m in self.sender.messages[before:]]

    async def days(self, first: date, last: date) -> dict[date, list[str]]:
        """Every day's texts from ``first`` to ``last``."""
        out = {}
        day = first
        while day <= last:
            out[day] = await self.day(day)
            day += timedelta(days=1)
        return out


def reminders(days: dict[date, list[str]], marker: str) -> list[date]:
    """The days whose messages carry a line with ``marker``."""
    return [d for d, texts in days.items() for text in texts
            for line in text.split("\n") if marker in line]


async def test_7_days_and_1_day_before_and_once_overdue(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 15)), ("beta", date(2026, 6, 10)))
    await world.member()
    days = await world.days(date(2026, 6, 2), date(2026, 6, 20))
    # One nudge a day, each with what the day brings.
    assert all(len(texts) == 1 for texts in days.values()), days
    beta = [d for d, texts in days.items() if "Course beta (id)" in texts[0]]
    alpha = [d for d, texts in days.items() if "Course alpha (id)" in texts[0]]
    assert beta == [date(2026, 6, 3), date(2026, 6, 9), date(2026, 6, 11)]
    assert alpha == [date(2026, 6, 8), date(2026, 6, 14), date(2026, 6, 16)]
    assert "10 Jun (7 hari lagi)" in days[date(2026, 6, 3)][0]
    assert "10 Jun (besok)" in days[date(2026, 6, 9)][0]
    assert "sudah lewat: 10 Jun (lewat 1 hari)" in days[date(2026, 6, 11)][0]
    # Recorded once each, with the nudge they rode on.
    rows = await db.fetch_all(
        "SELECT r.course_key, r.kind, r.local_date, l.status FROM deadline_reminders r"
        " LEFT JOIN nudge_ledger l ON l.id = r.ledger_id WHERE r.user_id = ?"
        " AND r.kind <> 'seen' ORDER BY r.local_date", (SARI,))
    assert [(r["course_key"], r["kind"], r["local_date"], r["status"]) for r in rows] == [
        ("beta", "week", "2026-06-03", "sent"), ("alpha", "week", "2026-06-08", "sent"),
        ("beta", "day", "2026-06-09", "sent"), ("beta", "overdue", "2026-06-11", "sent"),
        ("alpha", "day", "2026-06-14", "sent"), ("alpha", "overdue", "2026-06-16", "sent"),
    ]


async def test_a_second_dispatch_the_same_day_sends_nothing_again(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 9)))
    await world.member()
    [text] = await world.day(date(2026, 6, 2))
    assert "9 Jun (7 hari lagi)" in text
    assert await world.day(date(2026, 6, 2), time(9, 0)) == []
    assert await world.day(date(2026, 6, 2), time(20, 0)) == []
    [text] = await world.day(date(2026, 6, 3))
    assert "Course alpha" not in text


async def test_a_missed_7_day_reminder_comes_with_the_next_nudge(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 12)))
    await world.member()
    # Paused on the 4th for 1 day: no nudge on the 5th, the 7-day day.
    world.clock.set(datetime(2026, 6, 4, 12, 0, tzinfo=WIB))
    await world.svc.nudge_prefs.pause(SARI, 1)
    await world.replan()
    days = await world.days(date(2026, 6, 5), date(2026, 6, 12))
    assert days[date(2026, 6, 5)] == []
    assert reminders(days, "Course alpha") == [date(2026, 6, 6), date(2026, 6, 11)]
    assert "12 Jun (6 hari lagi)" in days[date(2026, 6, 6)][0]


async def test_a_weekdays_learner_gets_the_1_day_reminder_on_a_monday_deadline(
        db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 15)))   # a Monday; the day before is a Sunday
    await world.member()
    await db.execute("UPDATE users SET nudge_days = 'weekdays' WHERE id = ?", (SARI,))
    await world.replan()
    days = await world.days(date(2026, 6, 8), date(2026, 6, 16))
    assert days[date(2026, 6, 14)] == []
    assert reminders(days, "Course alpha") == [date(2026, 6, 8), date(2026, 6, 15),
                                               date(2026, 6, 16)]
    assert "15 Jun (hari ini)" in days[date(2026, 6, 15)][0]


async def test_a_deadline_set_5_days_ahead_gets_only_the_1_day_reminder(
        db: Database) -> None:
    world = World(db)
    await world.path(("beta", None))
    await world.member()
    await world.day(date(2026, 6, 2))
    await world.svc.training.cohorts.set_deadline(world.cohort_id, "alpha", date(2026, 6, 7))
    days = await world.days(date(2026, 6, 3), date(2026, 6, 8))
    # The 3rd says the course is new (with its deadline); then only the day before.
    assert reminders(days, "Course alpha") == [date(2026, 6, 3), date(2026, 6, 6),
                                               date(2026, 6, 8)]
    assert "🆕" in days[date(2026, 6, 3)][0] and "7 Jun (4 hari lagi)" in days[
        date(2026, 6, 3)][0]
    assert "7 Jun (besok)" in days[date(2026, 6, 6)][0]


async def test_stopped_nudges_carry_no_reminders(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 9)))
    await world.member()
    await world.svc.nudge_prefs.stop(SARI)
    await world.replan()
    days = await world.days(date(2026, 6, 2), date(2026, 6, 10))
    assert all(texts == [] for texts in days.values())
    await world.svc.nudge_prefs.resume(SARI)
    await world.replan()
    [text] = await world.day(date(2026, 6, 11))
    assert "lewat 2 hari" in text


async def test_a_finished_course_gets_no_reminder(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 9)), ("beta", date(2026, 6, 9)))
    await world.member()
    user = await world.svc.users.get(SARI)
    assert user is not None
    await do_lesson(world.svc.learning, user, [1, 1])
    await take_evaluation(world.svc.learning, user, "alpha")
    [text] = await world.day(date(2026, 6, 2))
    assert "Course beta" in text and "Course alpha" not in text


async def test_a_new_course_and_a_moved_deadline_are_told_once(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 30)))
    await world.member()
    [first] = await world.day(date(2026, 6, 2))
    assert "Course alpha" not in first  # known when joining: nothing to tell
    await world.svc.training.cohorts.toggle_course(world.cohort_id, "gamma")
    await world.svc.training.cohorts.set_deadline(world.cohort_id, "alpha", date(2026, 7, 3))
    [told] = await world.day(date(2026, 6, 3))
    assert "🆕 Kursus baru untuk <b>Kelurahan Petompon</b>: <b>Course gamma (id)</b>." in told
    assert "📅 Tenggat <b>Course alpha (id)</b> (Kelurahan Petompon) sekarang 3 Jul" in told
    [after] = await world.day(date(2026, 6, 4))
    assert "Course gamma" not in after and "Course alpha" not in after
    await world.svc.training.cohorts.set_deadline(world.cohort_id, "alpha", None)
    [removed] = await world.day(date(2026, 6, 5))
    assert "Course alpha (id)</b> (Kelurahan Petompon) dihapus" in removed


async def test_a_learner_who_learned_today_still_gets_the_reminder(db: Database) -> None:
    world = World(db)
    await world.path(("beta", date(2026, 6, 9)))
    await world.member()
    world.clock.set(datetime(2026, 6, 2, 6, 0, tzinfo=WIB))
    user = await world.svc.users.get(SARI)
    assert user is not None
    await do_lesson(world.svc.learning, user, [1, 1])  # learned today: no nudge is due
    [text] = await world.day(date(2026, 6, 2))
    # The light "kept" note carries it (kept notes are off by default), with a sound and the
    # button that starts learning.
    assert "9 Jun (7 hari lagi)" in text and "Anda sudah belajar hari ini" in text
    note = world.sender.messages[-1]
    assert not note.disable_notification and note.buttons[0][0].callback_data == "learn:go"
    [ledger] = await NudgeRepository(db).ledger(SARI)
    assert ledger.kind == "kept_note"
    [text] = await world.day(date(2026, 6, 3))
    assert "Course beta" not in text


async def test_a_claim_given_back_forgets_its_reminders(db: Database) -> None:
    world = World(db)
    await world.path(("alpha", date(2026, 6, 9)))
    await world.member()
    repo = NudgeRepository(db)
    world.clock.set(datetime(2026, 6, 2, 7, 31, tzinfo=WIB))

    stopping: list[bool] = []

    async def stopped_in_a_429(message: OutgoingMessage, attempt: SendAttempt) -> NoReturn:
        await attempt.leaving()  # claimed: the ledger row and the reminder are written
        assert [r.kind for r in await repo.reminders(SARI)] == ["seen", "week"]
        attempt.answered(delivered=False)
        stopping.append(True)
        raise asyncio.CancelledError  # a shutdown while it waits to retry

    world.sender.deliver = stopped_in_a_429
    await world.svc.nudges.dispatch(should_stop=lambda: bool(stopping))
    assert stopping and await repo.reminders(SARI) == []
    assert await repo.ledger(SARI) == []
    world.sender.deliver = world.sender.accept
    [text] = await world.day(date(2026, 6, 2), time(7, 40))
    assert "9 Jun (7 hari lagi)" in text

