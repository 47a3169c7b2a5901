"""End to end: daily nudges from the real bot through the emulator, with a moved clock.

Learners are seeded straight into the bot's database (onboarding 1,000 of them by chat would
test onboarding, not nudges); every nudge goes out through the real Application, its rate
limiter and python-telegram-bot's HTTP client to the emulator, which enforces Telegram's
flood limits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.nudges import NudgeRepository
from tests.e2e.harness import Sinau, button_data
from tests.e2e.nudge_helpers import (
    TIMES,
    ZONES,
    Seed,
    next_weekday,
    nudges_in,
    nudges_settled,
    seed_learners,
)

StartSinau = Callable[..., Awaitable[Sinau]]
FAST = {"nudges": {"tick_seconds": 0.2, "backoff_after": 30}}


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) when it builds a RetryAfter unless the process opts in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def local(message: dict[str, Any], zone: str) -> datetime:
    """When the emulator stored a message, in the learner's zone."""
    return datetime.fromtimestamp(message["date"], UTC).astimezone(ZoneInfo(zone))


async def test_a_thousand_learners_over_two_days(
    emulator: BotApiEmulator, start_sinau: StartSinau
) -> None:
    sinau = await start_sinau(**FAST)
    services = sinau.services
    # Thursday 20:00 UTC: Friday 03:00 WIB, 04:00 WITA, 05:00 WIT — before every nudge time.
    await sinau.advance_to(next_weekday(sinau.clock.now(), 3, 20))
    seeds: list[Seed] = []
    users: dict[int, Any] = {}
    for i in range(1000):
        user = emulator.add_user(f"L{i}", started=True)
        users[user.id] = user
        seeds.append(Seed(user.id, nudge_time=TIMES[i % len(TIMES)],
                          days="weekdays" if i % 4 == 3 else "daily",
                          timezone=ZONES[(i // 5) % 3], language="en" if i % 7 == 0 else "id"))
    await seed_learners(services, seeds, sinau.clock.now())
    by_id = {s.user_id: s for s in seeds}
    ids = [s.user_id for s in seeds]
    paused, stopped, blocked, learned = ids[0:20], ids[20:40], ids[40:60], ids[60:80]
    await nudges_settled(services)  # planned
    for user_id in paused:  # 3 days: covers Friday and Saturday
        await services.nudge_prefs.pause(user_id, 3)
    for user_id in stopped:
        await services.nudge_prefs.stop(user_id)
    for user_id in blocked:
        emulator.block_bot(users[user_id])
    friday = {uid: sinau.clock.now().astimezone(ZoneInfo(by_id[uid].timezone)).date()
              for uid in learned}
    await services.db.execute_many(
        "INSERT INTO activity_days (user_id, local_date, lessons) VALUES (?, ?, 1)",
        [(uid, day.isoformat()) for uid, day in friday.items()],
    )
    await emulator.settle()

    for _ in range(43):  # hour by hour until Saturday 15:00 UTC (22:00 WIB, Sunday 00:00 WIT)
        await sinau.advance(timedelta(hours=1))
        await nudges_settled(services)

    assert emulator.flood_429_count == 0
    friday_date = friday[learned[0]]
    per_day: dict[int, Counter[str]] = defaultdict(Counter)
    for user_id, seed in by_id.items():
        for message in nudges_in(emulator.messages(users[user_id])):
            moment = local(message, seed.timezone)
            day = "fri" if moment.date() == friday_date else "sat"
            per_day[user_id][day] += 1
            # Never outside the learner's days or the quiet hours (06:00-21:00 local).
            assert time(6) <= moment.time() < time(21), (user_id, moment)
            assert seed.days == "daily" or moment.weekday() < 5
    excluded = set(paused) | set(stopped) | set(blocked)
    for user_id, seed in by_id.items():
        got = per_day[user_id]
        if user_id in excluded:
            assert not got, (user_id, got)
        elif user_id in learned:  # learned on Friday: no nudge that day
            expected = Counter(sat=1) if seed.days == "daily" else Counter()
            assert got == expected, (user_id, got)
        elif seed.days == "weekdays":
            assert got == Counter(fri=1), (user_id, got)
        else:
            assert got == Counter(fri=1, sat=1), (user_id, got)
    # The ledger agrees: one row per learner and day, nothing left uncertain.
    assert await NudgeRepository(services.db).uncertain() == []
    for user_id in blocked:
        rows = await NudgeRepository(services.db).ledger(user_id)
        assert [r.status for r in rows] == ["blocked"]
        user = await services.users.get(user_id)
        assert user is not None and not user.is_active
    for user_id in learned:
        rows = await NudgeRepository(services.db).ledger(user_id)
        assert rows[0].status == "skipped_learned"
    counters = services.delivery_stats.of("nudge")
    total = sum(sum(c.values()) for c in per_day.values())
    assert counters.sent == total and counters.blocked == len(blocked)


async def test_replies_stay_responsive_and_429s_lose_nothing(
    emulator: BotApiEmulator, start_sinau: StartSinau
) -> None:
    sinau = await start_sinau(**FAST)
    services = sinau.services
    await sinau.advance_to(next_weekday(sinau.clock.now(), 0, 0))  # Monday 07:00 WIB
    users = [emulator.add_user(f"L{i}", started=True) for i in range(400)]
    await seed_learners(services, [Seed(u.id, nudge_time="07:30") for u in users],
                        sinau.clock.now())
    asking = sinau.user("Asking")
    await sinau.send(asking, "/help")
    await nudges_settled(services)
    # Telegram answers a burst of 429s in the middle of the batch.
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", count=6,
                       retry_after=1)
    await sinau.advance(timedelta(minutes=31))
    await emulator.wait_for(lambda: sum(len(emulator.messages(u)) for u in users) >= 20,
                            timeout=30)
    before = len(emulator.messages(asking))
    await emulator.send_text(asking, "/help")
    await emulator.wait_for(lambda: len(emulator.messages(asking)) > before, timeout=30)
    delivered = sum(len(emulator.messages(u)) for u in users)
    # The reply overtook the queued batch: it came while most nudges were still waiting.
    assert delivered < len(users) // 2, delivered
    await nudges_settled(services)
    assert [len(emulator.messages(u)) for u in users] == [1] * len(users)
    assert emulator.flood_429_count == 0
    assert services.sender is not None
    assert services.delivery_stats.of("nudge").sent == len(users)
    emulator.violations.clear()  # the injected 429s are recorded as such; nothing else


async def test_pause_stop_resume_and_the_menu(
    emulator: BotApiEmulator, start_sinau: StartSinau
) -> None:
    sinau = await start_sinau(**FAST)
    services = sinau.services
    await sinau.advance_to(next_weekday(sinau.clock.now(), 0, 0))  # Monday 07:00 WIB
    sari = sinau.user("Sari", started=True)
    await seed_learners(services, [Seed(sari.id, nudge_time="07:30")], sinau.clock.now())
    asked = (await sinau.send(sari, "/pause"))[-1]
    assert button_data(asked) == ["nz:pause:1", "nz:pause:3", "nz:pause:7"]
    await sinau.press(sari, asked, data="nz:pause:1")
    menu = sinau.message(sari, asked["message_id"])
    assert "Mulai lagi Rabu" in menu["text"]
    await sinau.advance(timedelta(minutes=31))
    await nudges_settled(services)
    assert nudges_in(emulator.messages(sari)) == []
    # Tuesday: still paused; Wednesday: nudged again.
    await sinau.advance(timedelta(days=1))
    await nudges_settled(services)
    assert nudges_in(emulator.messages(sari)) == []
    await sinau.advance(timedelta(days=1))
    await nudges_settled(services)
    [nudge] = nudges_in(emulator.messages(sari))
    assert "Belajar sekarang" in nudge["reply_markup"]["inline_keyboard"][0][0]["text"]

    replies = await sinau.send(sari, "/stop_nudges")
    assert "dihentikan" in replies[-1]["text"]
    await sinau.advance(timedelta(days=1))
    await nudges_settled(services)
    assert len(nudges_in(emulator.messages(sari))) == 1

    # /settings opens the menu (nz:menu); days, zone and resume by buttons.
    settings = (await sinau.send(sari, "/settings"))[-1]
    await sinau.press(sari, settings, data="nz:menu")
    menu = sinau.message(sari, settings["message_id"])
    assert "nz:resume" in button_data(menu) and "Dihentikan" in menu["text"]
    await sinau.press(sari, menu, data="nz:days:weekdays")
    await sinau.press(sari, menu, data="nz:tz:wita")
    await sinau.press(sari, menu, data="nz:resume")
    menu = sinau.message(sari, settings["message_id"])
    assert "Senin–Jumat, pukul 07:30 WITA" in menu["text"]
    assert "nz:stop" in button_data(menu)
    user = await services.users.get(sari.id)
    assert user is not None and user.timezone == "Asia/Makassar"
    status = await services.nudge_prefs.status(sari.id)
    assert status is not None and status.state == "on" and status.days == "weekdays"


async def test_a_server_clock_moved_ahead_is_followed_without_any_update(
    emulator: BotApiEmulator, start_sinau: StartSinau
) -> None:
    """Only the Bot API server's clock moves (as a test server's would), and nobody writes:
    the bot learns the time from the server's HTTP ``Date`` headers and nudges on time."""
    sinau = await start_sinau(**FAST)
    services = sinau.services
    start = services.clock.now()
    user = emulator.add_user("Dewi", started=True)
    # 07:30 WIB the day after tomorrow, never due at the real hour the test runs.
    target_day = (start + timedelta(days=2)).astimezone(ZoneInfo("Asia/Jakarta")).date()
    due = datetime.combine(target_day, time(7, 30), tzinfo=ZoneInfo("Asia/Jakarta"))
    await seed_learners(services, [Seed(user.id, nudge_time="07:30")], start)
    await nudges_settled(services)
    assert nudges_in(emulator.messages(user.id)) == []
    # The server alone jumps to a minute after the nudge time.
    emulator.set_time(due + timedelta(minutes=1))
    await emulator.wait_for(lambda: services.clock.now() >= due, timeout=30)
    await emulator.wait_for(lambda: nudges_in(emulator.messages(user.id)), timeout=30)
    await nudges_settled(services)
    nudged = nudges_in(emulator.messages(user.id))
    assert len(nudged) == 1
    assert local(nudged[0], "Asia/Jakarta").date() == target_day
    # The bot never runs ahead of the server: its clock is within a few seconds of it.
    assert abs(services.clock.now() - emulator.now()) < timedelta(seconds=5)
