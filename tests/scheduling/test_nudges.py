"""The nudge service against a real database, a fixed clock and a fake sender."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.attempt import SendAttempt
from bot.delivery.models import DeliveryResult, OutgoingMessage
from bot.scheduling.render import LEARN_NOW, NudgeFacts
from bot.storage import to_epoch
from bot.storage.delivery import DeliveryStatsRepository
from bot.storage.users import UserRepository
from tests.scheduling.conftest import MONDAY_0700_WIB, Kit

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
WIB = ZoneInfo("Asia/Jakarta")


async def next_day(kit: Kit, at: str = "07:31") -> None:
    """Move the clock to ``at`` (WIB) on the following day."""
    local = kit.clock.now().astimezone(WIB)
    hours, minutes = map(int, at.split(":"))
    target = datetime(local.year, local.month, local.day, hours, minutes, tzinfo=WIB) + DAY
    kit.clock.set(target)


async def test_a_learner_gets_one_nudge_at_their_time(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1)
    report = await kit.service.dispatch()
    assert report.sent == 0 and kit.sender.messages == []
    kit.clock.advance(31 * MINUTE)  # 07:31
    report = await kit.service.dispatch()
    assert report.sent == 1
    [message] = kit.sender.messages
    assert message.chat_id == 1
    assert "Etika &lt;ASN&gt;" in message.text and "5 menit" in message.text
    assert message.buttons[0][0].callback_data == LEARN_NOW
    assert (await kit.service.dispatch()).sent == 0
    [row] = await kit.repo.ledger(1)
    assert (row.status, row.local_date, row.message_id) == ("sent", date(2025, 6, 2), 2)
    stats = await DeliveryStatsRepository(kit.db).for_day("2025-06-02")
    assert stats["nudge"].skipped == 0


async def test_the_nudge_names_what_is_next(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1, language="en")
    kit.facts.default = NudgeFacts(learned_today=False, streak=4, lesson_title="Ethics",
                                   lesson_minutes=7, reviews_due=3, jp_year=Decimal("2.2"),
                                   jp_target=20)
    kit.clock.advance(31 * MINUTE)
    await kit.service.dispatch()
    text = kit.sender.messages[0].text
    for part in ("Ethics", "7 min", "3 reviews", "4-day streak", "2.2/20 JP"):
        assert part in text, part
    assert len(text) < 400


async def test_days_time_zones_and_quiet_hours(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1, days="weekdays")
    await kit.learner(2, tz="Asia/Jayapura", at="08:00")  # 06:00 WIB
    await kit.learner(3, at="05:00")  # outside 06:00-21:00: moved to 06:00
    await kit.learner(4, tz="Asia/Makassar", at="19:30")
    sent: dict[int, list[date]] = {1: [], 2: [], 3: [], 4: []}
    for _ in range(7 * 24 * 6):  # a week in 10-minute steps
        kit.clock.advance(10 * MINUTE)
        await kit.service.dispatch()
    for message in kit.sender.messages:
        sent[message.chat_id].append(message.chat_id)  # type: ignore[arg-type]
    # From Monday 07:00 WIB to the next Monday 07:00 WIB:
    assert len(sent[1]) == 5  # Monday-Friday 07:30
    assert len(sent[2]) == 7  # 08:00 WIT = 06:00 WIB: Tuesday to the next Monday
    assert len(sent[3]) == 7  # 05:00 is before the window: 06:00, Tuesday to Monday
    assert len(sent[4]) == 7  # 19:30 WITA = 18:30 WIB: Monday to Sunday
    for user_id in sent:
        ledger = await kit.repo.ledger(user_id)
        zone = ZoneInfo({2: "Asia/Jayapura", 4: "Asia/Makassar"}.get(user_id, "Asia/Jakarta"))
        for row in ledger:
            assert row.sent_at is not None
            local = row.sent_at.astimezone(zone)
            assert local.date() == row.local_date
            assert 6 <= local.hour < 21
            if user_id == 1:
                assert local.weekday() < 5


async def test_paused_stopped_inactive_and_not_onboarded_get_none(
    make_kit: Callable[..., Kit],
) -> None:
    kit = make_kit()
    for user_id in (1, 2, 3, 4, 5):
        await kit.learner(user_id, onboarded=user_id != 5)
    await kit.repo.pause(2, MONDAY_0700_WIB + 2 * DAY)
    await kit.repo.stop(3)
    await UserRepository(kit.db).set_active(4, False)
    kit.clock.advance(31 * MINUTE)
    await kit.service.dispatch()
    assert {m.chat_id for m in kit.sender.messages} == {1}
    await next_day(kit)
    await kit.service.dispatch()
    assert sorted(m.chat_id for m in kit.sender.messages) == [1, 1]
    await next_day(kit, "07:00")  # Wednesday: the pause is over
    await kit.repo.resume(3)
    await kit.service.dispatch()
    kit.clock.advance(31 * MINUTE)
    await kit.service.dispatch()
    assert sorted(m.chat_id for m in kit.sender.messages) == [1, 1, 1, 2, 3]


async def test_learned_today_gets_nothing_or_a_kept_note(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1)
    kit.facts.by_user[1] = NudgeFacts(learned_today=True, streak=5)
    kit.clock.advance(31 * MINUTE)
    report = await kit.service.dispatch()
    assert report.skipped_learned == 1 and kit.sender.messages == []
    [row] = await kit.repo.ledger(1)
    assert row.status == "skipped_learned"

    noted = make_kit(nudges={"streak_kept_note": True})
    await noted.learner(2)
    noted.facts.by_user[2] = NudgeFacts(learned_today=True, streak=5)
    noted.clock.advance(31 * MINUTE)
    report = await noted.service.dispatch()
    assert report.kept_notes == 1
    [note] = noted.sender.messages
    assert "5 hari terjaga" in note.text and not note.buttons
    [row] = await noted.repo.ledger(2)
    assert (row.kind, row.status) == ("kept_note", "sent")


async def test_a_delayed_nudge_still_goes_out_later_the_same_day_never_the_next(
    make_kit: Callable[..., Kit],
) -> None:
    kit = make_kit()  # the default grace: the whole local day
    await kit.learner(1, at="07:30")
    await kit.service.replan()
    kit.clock.advance(7 * timedelta(hours=1))  # 14:00: down (or the clock jumped) since 07:00
    report = await kit.service.dispatch()
    assert (report.sent, report.missed_late, report.missed_quiet) == (1, 0, 0)
    await kit.service.dispatch()
    assert [m.chat_id for m in kit.sender.messages] == [1]
    # Down from 07:00 until after the allowed hours end: that day's nudge is missed, not sent
    # at night nor the next morning on top of the next day's.
    late = make_kit()
    await late.learner(2, at="07:30")
    await late.service.replan()
    late.clock.advance(15 * timedelta(hours=1))  # 22:00
    report = await late.service.dispatch()
    assert (report.sent, report.missed_quiet) == (0, 1)
    await next_day(late)
    await late.service.dispatch()
    await late.service.dispatch()
    # (Both kits share one database: learner 1 has their next day's nudge too.)
    assert [m.chat_id for m in late.sender.messages].count(2) == 1


async def test_after_downtime_late_within_grace_goes_out_older_is_missed(
    make_kit: Callable[..., Kit],
) -> None:
    kit = make_kit(nudges={"grace_minutes": 120})
    await kit.learner(1, at="07:30")
    await kit.learner(2, at="07:30")
    await kit.service.replan()  # planned while the bot was up
    await kit.learner(3, at="09:00")
    await kit.service.replan()
    kit.clock.advance(3 * timedelta(hours=1))  # 10:00: 07:30 is 2.5 h late, 09:00 is 1 h
    report = await kit.service.dispatch()
    assert (report.sent, report.missed_late) == (1, 2)
    assert [m.chat_id for m in kit.sender.messages] == [3]
    assert (await kit.repo.ledger(1))[0].status == "missed"
    stats = await DeliveryStatsRepository(kit.db).for_day("2025-06-02")
    assert (stats["nudge"].sent, stats["nudge"].skipped) == (1, 2)
    await next_day(kit)
    await kit.service.dispatch()
    assert sorted(m.chat_id for m in kit.sender.messages) == [1, 2, 3]


async def test_days_of_downtime_count_one_missed_nudge(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit(nudges={"grace_minutes": 120})
    await kit.learner(1)
    await kit.service.replan()
    kit.clock.advance(3 * DAY + timedelta(hours=6))  # Thursday 13:00
    report = await kit.service.dispatch()
    assert (report.sent, report.missed_late) == (0, 1)
    await next_day(kit)
    assert (await kit.service.dispatch()).sent == 1


async def test_days_of_downtime_then_today_s_nudge_once(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1)
    await kit.service.replan()
    kit.clock.advance(3 * DAY + timedelta(hours=6))  # Thursday 13:00
    first = await kit.service.dispatch()
    second = await kit.service.dispatch()
    third = await kit.service.dispatch()
    assert first.missed_late + first.missed_quiet == 1  # Monday's, never sent days later
    assert first.sent + second.sent + third.sent == 1  # Thursday's, late but the same day
    [message] = kit.sender.messages
    assert message.chat_id == 1
    await next_day(kit)
    assert (await kit.service.dispatch()).sent == 1


async def test_backoff_after_ignored_nudges_announced_once(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit(nudges={"backoff_after": 3})
    await kit.learner(1)
    kit.clock.advance(31 * MINUTE)
    days_with_nudge = []
    for day in range(10):
        await kit.service.dispatch()
        if kit.sender.messages and len(days_with_nudge) < len(kit.sender.messages):
            days_with_nudge.append(day)
        await next_day(kit)
    # Three ignored daily nudges, then every 2nd day, then every 3rd...
    assert days_with_nudge == [0, 1, 2, 4, 7]
    announced = [m for m in kit.sender.messages if "setiap 2 hari" in m.text]
    assert len(announced) == 1 and announced[0] is kit.sender.messages[3]
    assert not any("setiap" in m.text for m in kit.sender.messages[4:])
    # The learner comes back (before today's nudge time): daily again.
    await next_day(kit, "07:00")
    await kit.active(1)
    for _ in range(2):
        kit.clock.advance(31 * MINUTE)
        await kit.service.dispatch()
        await next_day(kit, "07:00")
    assert len(kit.sender.messages) == 7
    assert not any("setiap" in m.text for m in kit.sender.messages[4:])


async def test_a_blocked_learner_stays_unnudged(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1)
    kit.sender.outcomes[1] = "blocked"
    kit.clock.advance(31 * MINUTE)
    report = await kit.service.dispatch()
    assert report.blocked == 1
    assert (await kit.repo.ledger(1))[0].status == "blocked"
    # The sender marks the user inactive on a 403 (tested with the real sender); here:
    await UserRepository(kit.db).set_active(1, False)
    for _ in range(3):
        await next_day(kit)
        await kit.service.dispatch()
    assert len(kit.sender.messages) == 1
    schedule = await kit.repo.get(1)
    assert schedule is not None and schedule.next_due_at is None


async def test_an_uncertain_send_is_never_repeated(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1)
    await kit.learner(2)
    kit.clock.advance(31 * MINUTE)

    class Crash(BaseException):
        pass

    async def crash_after_send(message: OutgoingMessage, attempt: SendAttempt) -> object:
        await attempt.leaving()
        kit.sender.messages.append(message)
        raise Crash  # the process dies between the send and the mark

    kit.sender.deliver = crash_after_send  # type: ignore[assignment]
    try:
        await kit.service.dispatch()
    except BaseException as exc:  # noqa: BLE001 - the crash we provoked (inside a group)
        assert isinstance(exc, Crash | BaseExceptionGroup), exc
    crashed = len(kit.sender.messages)
    assert crashed >= 1
    kit.sender.deliver = kit.sender.outcome
    report = await kit.service.dispatch()
    # Every learner got at most one nudge today; the crashed sends are uncertain, not resent.
    counts = {uid: len(kit.sender.to(uid)) for uid in (1, 2)}
    assert set(counts.values()) == {1}
    uncertain = await kit.repo.uncertain()
    assert len(uncertain) == crashed
    assert all(row.status == "sending" for row in uncertain)
    assert report.sent == 2 - crashed


@pytest.mark.parametrize("answered", [True, False])
async def test_a_stop_while_a_nudge_waits_keeps_it_due_one_in_flight_stays_uncertain(
    make_kit: Callable[..., Kit], answered: bool,
) -> None:
    kit = make_kit()
    await kit.learner(1)
    kit.clock.advance(31 * MINUTE)
    hanging: list[object] = []

    async def stuck(message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        await attempt.leaving()  # the ledger row is written here
        hanging.append(message)
        if answered:  # a 429 came back: the request was refused, the send waits to retry
            attempt.answered(delivered=False)
        await asyncio.Event().wait()  # until the shutdown cancels it
        raise AssertionError("unreachable")

    kit.sender.deliver = stuck
    report = await kit.service.dispatch(should_stop=lambda: bool(hanging))
    assert report.interrupted and len(hanging) == 1
    rows = await kit.repo.ledger(1)
    assert [r.status for r in rows] == ([] if answered else ["sending"])
    kit.sender.deliver = kit.sender.outcome
    await kit.service.dispatch()
    # Waited out: still due, sent after the restart. In flight: uncertain, never repeated.
    assert len(kit.sender.to(1)) == (1 if answered else 0)
    assert [r.status for r in await kit.repo.ledger(1)] == ["sent" if answered else "sending"]


async def test_a_settings_change_replans(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    await kit.learner(1, at="07:30")
    await kit.service.replan()
    schedule = await kit.repo.get(1)
    assert schedule is not None and schedule.next_due_at is not None
    await kit.db.execute("UPDATE users SET nudge_time = '12:30' WHERE id = 1")
    await kit.service.replan()
    schedule = await kit.repo.get(1)
    assert schedule is not None and schedule.next_due_at is not None
    assert schedule.next_due_at.astimezone(WIB).hour == 12
    # The middleware's touch on every update must not force a re-plan.
    await kit.active(1)
    schedule = await kit.repo.get(1)
    assert schedule is not None and not schedule.needs_plan


async def test_due_query_uses_the_index(make_kit: Callable[..., Kit]) -> None:
    kit = make_kit()
    plan = await kit.db.query_plan(
        "SELECT user_id FROM nudge_schedules"
        " WHERE next_due_at <= ? AND needs_plan = 0 ORDER BY next_due_at LIMIT 10",
        (to_epoch(kit.clock.now()),),
    )
    assert "nudge_schedules_due" in plan, plan
