"""End to end: the cohort is the learner's path.

A trainer gives a cohort two courses with deadlines by buttons and typed dates; members who
join by the invite link start on the path's first course (not the catalogue's), see both
courses with their deadlines on /learn, the dashboard and /progress; then the clock moves day
by day and the reminders arrive inside the morning nudge, 7 days and 1 day before each
deadline, exactly once each.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.learning.path import deadline_text
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau
from tests.e2e.learner import text, with_data
from tests.e2e.nudge_helpers import nudges_in, nudges_settled
from tests.e2e.trainer_screens import plain, press
from tests.e2e.trainer_steps import admin_and_trainer, create_cohort, onboard_by_link

WIB = ZoneInfo("Asia/Jakarta")
FAST = {"nudges": {"tick_seconds": 0.2, "backoff_after": 30}}
COHORT = "Kelurahan Petompon"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) when it builds a RetryAfter unless the process opts in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def set_deadline(sinau: Sinau, trainer: Any, cohort_id: int, course_key: str,
                       deadline: date) -> None:
    """📅 on the cohort's course list, then the date typed as a trainer would."""
    menu = with_data(await sinau.send(trainer, "/cohort"), "ch:")
    card = await press(sinau, trainer, menu, f"ch:o:{cohort_id}")
    courses = await press(sinau, trainer, card, f"ch:c:{cohort_id}")
    await press(sinau, trainer, courses, f"ch:d:{cohort_id}:{course_key}")
    await sinau.send(trainer, deadline.strftime("%d-%m-%Y"))


def round_trips(sinau: Sinau) -> int:
    """Database round trips of the update handled last."""
    assert sinau.app is not None
    return sinau.app.update_processor.round_trips[-1][1]  # type: ignore[attr-defined]


async def test_members_follow_the_path_and_get_each_reminder_once(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator, **FAST)
    # 05:00 tomorrow in Jakarta: before the members' 07:30 nudges.
    today = sinau.clock.now().astimezone(WIB).date() + timedelta(days=1)
    await sinau.advance_to(datetime.combine(today, time(5, 0), tzinfo=WIB))
    catalogue = sinau.services.catalogue.courses
    first, second = catalogue[3], catalogue[1]  # the path's order, not the catalogue's
    due_first, due_second = today + timedelta(days=9), today + timedelta(days=12)
    cohort_id, payload = await create_cohort(sinau, trainer, COHORT)
    await set_deadline(sinau, trainer, cohort_id, first.key, due_first)
    await set_deadline(sinau, trainer, cohort_id, second.key, due_second)
    assert [(c.course_key, c.deadline)
            for c in await sinau.services.training.cohorts.courses(cohort_id)] == [
        (first.key, due_first.isoformat()), (second.key, due_second.isoformat())]

    # Joining by the link, the first lesson is the path's first course's.
    members = [sinau.user(name) for name in ("Ani", "Budi")]
    for member in members:
        card = await onboard_by_link(sinau, member, payload)
        assert first.lessons[0].title.get("id") in text(card), text(card)
    ani = members[0]

    # /learn continues on the path, within its round trips.
    card = with_data(await sinau.send(ani, "/learn"), "ls:")
    assert first.lessons[0].title.get("id") in text(card)
    assert round_trips(sinau) <= 3

    # The dashboard and /progress list the cohort with both courses and their deadlines.
    lines = [plain(f"🗂 <b>{COHORT}</b>")] + [
        f"{marker} {course.title.get('id')} · 0/{len(course.lessons)} pelajaran · ⏳ "
        + plain(deadline_text("id", due, today))
        for marker, course, due in (("▶", first, due_first), ("▫️", second, due_second))]
    assert "9 hari lagi" in lines[1] and "12 hari lagi" in lines[2]
    dashboard = (await sinau.send(ani, "/start"))[-1]
    assert "\n".join(lines) in text(dashboard), text(dashboard)
    progress = (await sinau.send(ani, "/progress"))[-1]
    assert "\n".join(lines) in text(progress), text(progress)

    # Day by day at 07:31, the morning nudge: the reminders ride on it.
    seen = {m.id: len(emulator.messages(m)) for m in members}
    nudges: dict[int, list[tuple[date, str]]] = {m.id: [] for m in members}
    day = today
    while day <= due_second:
        await sinau.advance_to(datetime.combine(day, time(7, 31), tzinfo=WIB))
        await nudges_settled(sinau.services)
        for member in members:
            new = emulator.messages(member)[seen[member.id]:]
            seen[member.id] += len(new)
            nudges[member.id] += [(day, text(m)) for m in nudges_in(new)]
        day += timedelta(days=1)

    for member in members:
        got = nudges[member.id]
        assert Counter(d for d, _ in got) == Counter(
            today + timedelta(days=n) for n in range(13)), got  # one nudge a day
        reminded = [(d, line) for d, body in got for line in body.split("\n")
                    if line.startswith("⏰")]
        assert reminded == [
            (due_first - timedelta(days=7),
             f"⏰ {first.title.get('id')} ({COHORT}) perlu selesai paling lambat "
             + plain(deadline_text("id", due_first, due_first - timedelta(days=7))) + "."),
            (due_second - timedelta(days=7),
             f"⏰ {second.title.get('id')} ({COHORT}) perlu selesai paling lambat "
             + plain(deadline_text("id", due_second, due_second - timedelta(days=7))) + "."),
            (due_first - timedelta(days=1),
             f"⏰ Tenggat {first.title.get('id')} ({COHORT}): "
             + plain(deadline_text("id", due_first, due_first - timedelta(days=1)))
             + ". Yuk selesaikan hari ini!"),
            (due_second - timedelta(days=1),
             f"⏰ Tenggat {second.title.get('id')} ({COHORT}): "
             + plain(deadline_text("id", due_second, due_second - timedelta(days=1)))
             + ". Yuk selesaikan hari ini!"),
        ], reminded
        assert "7 hari lagi" in reminded[0][1] and "besok" in reminded[2][1]
    # The first deadline passed on the last day but one: the overdue note came once.
    overdue = [d for d, body in nudges[ani.id] if "⚠️" in body]
    assert overdue == [due_first + timedelta(days=1)]
