"""Real scheduling: typed times, quiet hours per recipient zone, urgent, test-send, the
stragglers resolved at the start, cancel and edit of scheduled broadcasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.content.catalogue import CatalogueHolder
from bot.content.loader import load_catalogue
from bot.delivery.quiet import QuietHours
from bot.storage import Database
from bot.storage.broadcasts import BroadcastRepository, Recipient
from bot.storage.users import UserRepository
from bot.training.broadcasts import BroadcastService, Progress
from bot.training.schedule import WhenError, parse_when, preset_times, schedule_days
from bot.training.service import TrainingServices
from tests.conftest import composed
from tests.fakes import ScriptedSender
from tests.training.conftest import ADMIN_ID, add_user

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
# Monday 2 March 2026, 23:00 in Jakarta (00:00 on Tuesday in Makassar).
LATE = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


async def quiet_progress(progress: Progress) -> None:
    """Progress reports are not what these tests look at."""


@pytest.fixture
def late_clock() -> FixedClock:
    """23:00 in Jakarta."""
    return FixedClock(LATE)


@pytest.fixture
def night(db: Database, late_clock: FixedClock, sender: ScriptedSender) -> TrainingServices:
    """The trainer services with the default quiet hours, 21:00-06:00, switched on."""
    settings = Settings(access={"admin_ids": [ADMIN_ID]},
                        delivery={"quiet_hours": "21:00-06:00"})
    return composed(db, late_clock, settings, sender=sender).training


async def members(training: TrainingServices, db: Database, clock: FixedClock,
                  zones: dict[int, str]) -> int:
    """A cohort whose members (id -> time zone) live where ``zones`` says."""
    cohort = await training.cohorts.create("Gajahmungkur", by=ADMIN_ID)
    for user_id, zone in zones.items():
        await add_user(db, user_id, f"L{user_id}", clock)
        await UserRepository(db).update_profile(user_id, timezone=zone)
        await training.cohorts.join(cohort.invite_code, user_id)
    return cohort.id


async def draft_to(training: TrainingServices, cohort_id: int, text: str = "Apel pagi") -> int:
    draft = await training.broadcasts.new_draft(ADMIN_ID, "id")
    assert await training.broadcasts.set_text(draft.id, text)
    assert await training.broadcasts.set_audience(draft.id, "cohort", cohort_id) is not None
    return draft.id


# ---------------------------------------------------------------------------- typed times


def test_typed_times_are_local_and_future() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
    assert parse_when("05-03 07:30", now, WIB).isoformat() == "2026-03-05T07:30:00+07:00"
    assert parse_when(" 5/3/2026 19.00 ", now, WIB).isoformat() == "2026-03-05T19:00:00+07:00"
    assert parse_when("02-03 09:30", now, WITA).isoformat() == "2026-03-02T09:30:00+08:00"
    for typed in ("besok pagi", "05-03", "31-02 07:00", "05-03 25:00", "5-3-26 07:00"):
        with pytest.raises(WhenError) as error:
            parse_when(typed, now, WIB)
        assert error.value.reason == "format", typed
    for typed in ("02-03 07:59", "01-03-2026 10:00", "02-03 08:00"):
        with pytest.raises(WhenError) as error:
            parse_when(typed, now, WIB)
        assert error.value.reason == "past", typed


def test_a_date_half_a_year_back_means_next_year() -> None:
    december = datetime(2026, 12, 30, 3, 0, tzinfo=UTC)
    assert parse_when("02-01 09:00", december, WIB).isoformat() == "2027-01-02T09:00:00+07:00"
    with pytest.raises(WhenError):  # last week is the past, not next year
        parse_when("23-12 09:00", december, WIB)


def test_days_and_preset_hours_offered() -> None:
    now = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # Monday 13:30 in Jakarta
    days = schedule_days(now, WIB)
    assert days[0] == date(2026, 3, 2) and len(days) == 7 and days[-1] == date(2026, 3, 8)
    assert preset_times(days[0], now, WIB) == [time(15), time(19)]
    assert preset_times(days[1], now, WIB)[0] == time(7)
    assert preset_times(days[0], now, WITA) == [time(15), time(19)]  # 14:30 there


# ---------------------------------------------------------------------------- quiet hours


async def test_each_recipient_waits_for_the_end_of_their_own_quiet_hours(
    night: TrainingServices, sender: ScriptedSender, db: Database, late_clock: FixedClock
) -> None:
    # 23:00 in Jakarta, midnight in Makassar, 16:00 in London: only London is reached now.
    cohort_id = await members(night, db, late_clock, {1: "Asia/Jakarta", 2: "Asia/Makassar",
                                                      3: "Europe/London"})
    service = night.broadcasts
    bid = await draft_to(night, cohort_id)
    assert await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                 progress_message_id=None) == 3
    assert await service.run(bid, on_progress=quiet_progress) is None
    assert [m.chat_id for m in sender.messages] == [3]
    waiting = await service.progress(bid)
    assert (waiting.sent, waiting.held, waiting.remaining) == (1, 2, 2)
    assert (await service.get(bid)).state == "sending"  # type: ignore[union-attr]
    assert await service.to_run() == []  # nothing is due: no task, no edit, until 06:00

    # 06:00 in Makassar (05:00 in Jakarta): the Makassar member, and only them.
    late_clock.advance(datetime(2026, 3, 2, 22, 0, tzinfo=UTC) - late_clock.now())
    assert await service.to_run() == [bid]
    assert await service.run(bid, on_progress=quiet_progress) is None
    assert [m.chat_id for m in sender.messages] == [3, 2]
    late_clock.advance(timedelta(minutes=59))
    assert await service.to_run() == []

    # 06:00 in Jakarta: the last one, and the broadcast is done.
    late_clock.advance(timedelta(minutes=1))
    assert await service.to_run() == [bid]
    final = await service.run(bid, on_progress=quiet_progress)
    assert final is not None and (final.sent, final.held, final.remaining) == (3, 0, 0)
    assert [m.chat_id for m in sender.messages] == [3, 2, 1]
    assert (await service.get(bid)).state == "done"  # type: ignore[union-attr]


async def test_a_group_follows_the_bots_zone(
    night: TrainingServices, sender: ScriptedSender, db: Database, late_clock: FixedClock
) -> None:
    cohort_id = await members(night, db, late_clock, {1: "Europe/London"})
    await night.cohorts.link_group(cohort_id, -100300)
    draft = await night.broadcasts.new_draft(ADMIN_ID, "id")
    await night.broadcasts.set_text(draft.id, "Diskusi minggu ini")
    assert await night.broadcasts.set_audience(draft.id, "group", cohort_id) == 1
    await night.broadcasts.confirm(draft.id, at=None, progress_chat_id=ADMIN_ID,
                                   progress_message_id=None)
    assert await night.broadcasts.run(draft.id, on_progress=quiet_progress) is None
    assert sender.messages == []
    late_clock.advance(timedelta(hours=7))  # 06:00 in Jakarta
    assert await night.broadcasts.run(draft.id, on_progress=quiet_progress) is not None
    assert [m.chat_id for m in sender.messages] == [-100300]


async def test_urgent_goes_through_quiet_hours(
    night: TrainingServices, sender: ScriptedSender, db: Database, late_clock: FixedClock
) -> None:
    cohort_id = await members(night, db, late_clock, {1: "Asia/Jakarta", 2: "Asia/Makassar"})
    service = night.broadcasts
    bid = await draft_to(night, cohort_id, "Banjir: kantor tutup besok")
    assert await service.set_urgent(bid, True)
    await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID, progress_message_id=None)
    final = await service.run(bid, on_progress=quiet_progress)
    assert final is not None and (final.sent, final.held) == (2, 0)
    assert sorted(m.chat_id for m in sender.messages) == [1, 2]
    assert not await service.set_urgent(bid, False)  # no longer a draft


async def test_cancel_reaches_the_held_recipients(
    night: TrainingServices, sender: ScriptedSender, db: Database, late_clock: FixedClock
) -> None:
    cohort_id = await members(night, db, late_clock, {1: "Asia/Jakarta", 2: "Asia/Makassar"})
    service = night.broadcasts
    bid = await draft_to(night, cohort_id)
    await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID, progress_message_id=None)
    assert await service.run(bid, on_progress=quiet_progress) is None
    assert await service.cancel(bid)
    late_clock.advance(timedelta(hours=8))
    assert await service.to_run() == []
    assert (await service.progress(bid)).cancelled == 2
    assert sender.messages == []


def test_quiet_hours_across_midnight_and_within_a_day() -> None:
    night = QuietHours(time(21), time(6))
    at_2253 = datetime(2026, 3, 2, 15, 53, tzinfo=UTC)  # 22:53 WIB
    assert night.held_until(at_2253, WIB) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    at_0253 = datetime(2026, 3, 2, 19, 53, tzinfo=UTC)  # 02:53 WIB on 3 March
    assert night.held_until(at_0253, WIB) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert night.held_until(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), WIB) is None  # 06:00
    assert night.held_until(datetime(2026, 3, 2, 13, 59, tzinfo=UTC), WIB) is None  # 20:59
    lunch = QuietHours(time(12), time(13))
    assert lunch.held_until(datetime(2026, 3, 2, 5, 30, tzinfo=UTC), WIB) == datetime(
        2026, 3, 2, 6, 0, tzinfo=UTC)
    assert lunch.held_until(datetime(2026, 3, 2, 6, 0, tzinfo=UTC), WIB) is None
    with pytest.raises(ValueError):
        QuietHours(time(6), time(6))


# ---------------------------------------------------------------------------- test-send


async def test_a_test_send_reaches_only_the_trainer_and_is_not_counted(
    training: TrainingServices, sender: ScriptedSender, db: Database, clock: FixedClock
) -> None:
    cohort_id = await members(training, db, clock, {1: "Asia/Jakarta", 2: "Asia/Jakarta"})
    service = training.broadcasts
    bid = await draft_to(training, cohort_id, "<b>Rapat</b> pukul 09.00")
    draft = await service.draft(bid, ADMIN_ID)
    assert draft is not None
    result = await service.test_send(draft, ADMIN_ID, "id")
    assert result is not None and result.status == "sent"
    assert [m.chat_id for m in sender.messages] == [ADMIN_ID, ADMIN_ID]
    mark, exact = sender.messages
    assert "percobaan" in mark.text.lower() and f"#{bid}" in mark.text
    assert exact.text == "<b>Rapat</b> pukul 09.00"
    learner = Recipient(1, 1, "id", "id", "Asia/Jakarta")
    assert exact.text == service.message_for(draft, learner).text  # what a member will get
    assert await BroadcastRepository(db).recipient_count(bid) == 0
    # Still a draft: sending it now reaches the members only, and the report counts them.
    assert await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                 progress_message_id=None) == 2
    final = await service.run(bid, on_progress=quiet_progress)
    assert final is not None and final.total == final.sent == 2


# ---------------------------------------------------------------------------- cancel, edit


async def test_scheduled_broadcasts_can_be_moved_and_edited_until_they_start(
    training: TrainingServices, sender: ScriptedSender, db: Database, clock: FixedClock
) -> None:
    cohort_id = await members(training, db, clock, {1: "Asia/Jakarta"})
    service = training.broadcasts
    bid = await draft_to(training, cohort_id, "Kerja bakti Sabtu")
    with pytest.raises(WhenError):
        await service.confirm(bid, at=clock.now() - timedelta(minutes=1),
                              progress_chat_id=ADMIN_ID, progress_message_id=None)
    assert (await service.get(bid)).state == "draft"  # type: ignore[union-attr]
    at = clock.now() + timedelta(days=1)
    assert await service.confirm(bid, at=at, progress_chat_id=ADMIN_ID,
                                 progress_message_id=None) == 1
    assert [b.id for b in await service.upcoming(ADMIN_ID)] == [bid]
    assert await service.upcoming(ADMIN_ID + 1) == []
    assert [b.id for b in await service.upcoming(None)] == [bid]

    with pytest.raises(WhenError):
        await service.reschedule(bid, clock.now())
    assert await service.reschedule(bid, at + timedelta(hours=2))
    assert await service.set_scheduled_text(bid, "Kerja bakti <b>Minggu</b>")
    moved = await service.get(bid)
    assert moved is not None and moved.scheduled_at == at + timedelta(hours=2)
    clock.advance(timedelta(days=1))
    assert await service.start_due() == []  # it was moved two hours later
    clock.advance(timedelta(hours=2))
    assert await service.start_due() == [bid]
    # Sending: neither time nor text can change any more.
    assert not await service.reschedule(bid, clock.now() + timedelta(hours=1))
    assert not await service.set_scheduled_text(bid, "terlambat")
    await service.run(bid, on_progress=quiet_progress)
    assert [m.text for m in sender.messages] == ["Kerja bakti <b>Minggu</b>"]


async def test_a_cancelled_scheduled_broadcast_never_starts(
    training: TrainingServices, sender: ScriptedSender, db: Database, clock: FixedClock
) -> None:
    cohort_id = await members(training, db, clock, {1: "Asia/Jakarta"})
    service = training.broadcasts
    bid = await draft_to(training, cohort_id)
    await service.confirm(bid, at=clock.now() + timedelta(hours=1), progress_chat_id=ADMIN_ID,
                          progress_message_id=None)
    assert await service.cancel(bid)
    assert await service.upcoming(None) == []
    assert not await service.reschedule(bid, clock.now() + timedelta(hours=3))
    clock.advance(timedelta(hours=2))
    assert await service.start_due() == [] and await service.to_run() == []
    assert sender.messages == []


# ---------------------------------------------------------------------------- stragglers


async def test_the_stragglers_are_resolved_when_sending_starts(
    db: Database, clock: FixedClock, sender: ScriptedSender, training: TrainingServices
) -> None:
    await members(training, db, clock, {1: "Asia/Jakarta", 2: "Asia/Jakarta",
                                        3: "Asia/Jakarta"})
    behind_now: dict[tuple[int, str], list[int]] = {(7, "berakhlak"): [1]}
    asked: list[tuple[int, str]] = []

    async def behind(cohort_id: int, course_key: str) -> list[int]:
        asked.append((cohort_id, course_key))
        return list(behind_now.get((cohort_id, course_key), []))

    service = BroadcastService(BroadcastRepository(db), clock, sender,
                               CatalogueHolder(load_catalogue()), behind=behind)
    draft = await service.new_draft(ADMIN_ID, "id")
    await service.set_text(draft.id, "Ayo kejar ketertinggalan")
    assert await service.set_audience(draft.id, "behind", 7, "berakhlak") == 1
    stored = await service.get(draft.id)
    assert stored is not None and stored.audience_kind == "behind"
    assert stored.audience_course == "berakhlak" and stored.audience_ref == 7
    at = clock.now() + timedelta(days=3)
    assert await service.confirm(draft.id, at=at, progress_chat_id=ADMIN_ID,
                                 progress_message_id=None) == 1
    assert await BroadcastRepository(db).recipient_count(draft.id) == 0  # not frozen yet

    # By the time it starts, one has caught up and two others fell behind (one blocked us).
    behind_now[(7, "berakhlak")] = [2, 3]
    await db.execute("UPDATE users SET is_active = 0 WHERE id = 3")
    clock.advance(timedelta(days=3))
    assert await service.start_due() == [draft.id]
    final = await service.run(draft.id, on_progress=quiet_progress)
    assert final is not None and final.total == final.sent == 1
    assert [m.chat_id for m in sender.messages] == [2]
    assert asked[-1] == (7, "berakhlak")


async def test_stragglers_sent_now_are_resolved_at_once(
    db: Database, clock: FixedClock, sender: ScriptedSender, training: TrainingServices
) -> None:
    await members(training, db, clock, {1: "Asia/Jakarta", 2: "Asia/Jakarta"})

    async def behind(cohort_id: int, course_key: str) -> list[int]:
        return [2]

    service = BroadcastService(BroadcastRepository(db), clock, sender,
                               CatalogueHolder(load_catalogue()), behind=behind)
    draft = await service.new_draft(ADMIN_ID, "id")
    await service.set_text(draft.id, "Tenggat kursus besok")
    await service.set_audience(draft.id, "behind", 7, "berakhlak")
    assert await service.confirm(draft.id, at=None, progress_chat_id=ADMIN_ID,
                                 progress_message_id=None) == 1
    final = await service.run(draft.id, on_progress=quiet_progress)
    assert final is not None and [m.chat_id for m in sender.messages] == [2]
    with pytest.raises(ValueError):
        await service.set_audience(draft.id, "behind", 7)
