"""Flood limits: global 30/s, per-chat bucket (burst 3, 1/s), 20/min per group, paid 1000/s."""

from __future__ import annotations

import aiohttp

from bot.sandbox.emulator import BotApiEmulator, FloodController, FloodLimits

from .conftest import Call, call_api


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_controller_token_bucket_and_windows() -> None:
    clock = FakeMonotonic()
    flood = FloodController(FloodLimits(), monotonic=clock)
    assert [flood.check(1, is_group=False, paid=False) for _ in range(3)] == [None] * 3
    assert flood.check(1, is_group=False, paid=False) == 1
    clock.t += 1.0
    assert flood.check(1, is_group=False, paid=False) is None
    # Global window: 30 per second across chats.
    flood = FloodController(FloodLimits(), monotonic=clock)
    for chat in range(30):
        assert flood.check(100 + chat, is_group=False, paid=False) is None
    assert flood.check(999, is_group=False, paid=False) == 1
    assert flood.check(999, is_group=False, paid=True) is None  # paid broadcast: 1000/s
    clock.t += 1.01
    assert flood.check(999, is_group=False, paid=False) is None


def test_controller_group_window() -> None:
    clock = FakeMonotonic()
    flood = FloodController(FloodLimits(), monotonic=clock)
    for _ in range(20):
        assert flood.check(-5, is_group=True, paid=False) is None
        clock.t += 1.0
    retry = flood.check(-5, is_group=True, paid=False)
    assert retry == 40  # the first of the 20 leaves the 60 s window 40 s from now
    clock.t += 40
    assert flood.check(-5, is_group=True, paid=False) is None


async def test_per_chat_burst_then_429(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Cepat", started=True)
    for i in range(3):
        assert (await api("sendMessage", chat_id=user.id, text=f"m{i}"))[0] == 200
    status, body = await api("sendMessage", chat_id=user.id, text="m3")
    assert status == 429
    assert (
        body["description"]
        == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )
    assert body["parameters"]["retry_after"] >= 1
    assert emu.flood_429_count == 1
    assert emu.violations[-1].error_code == 429
    # Other methods are not limited; sendChatAction neither.
    assert (await api("sendChatAction", chat_id=user.id, action="typing"))[0] == 200


async def test_global_limit_across_chats(emu: BotApiEmulator, api: Call) -> None:
    users = [emu.add_user(f"U{i}", started=True) for i in range(31)]
    statuses = [(await api("sendMessage", chat_id=u.id, text="hi"))[0] for u in users]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    status, _ = await api(
        "sendMessage", chat_id=users[30].id, text="hi", allow_paid_broadcast=True
    )
    assert status == 200


async def test_group_twenty_per_minute() -> None:
    limits = FloodLimits(chat_burst=100)  # isolate the group window from the per-chat bucket
    async with BotApiEmulator(flood_limits=limits) as emu, aiohttp.ClientSession() as session:
        group = emu.create_group("Kelas", members=[emu.add_user("A")])
        for i in range(20):
            status, _ = await call_api(session, emu, "sendMessage", chat_id=group.id, text=f"{i}")
            assert status == 200
        status, body = await call_api(session, emu, "sendMessage", chat_id=group.id, text="x")
        assert status == 429
        assert 55 <= body["parameters"]["retry_after"] <= 60
        assert emu.flood_429_count == 1


async def test_flood_limits_can_be_off() -> None:
    async with BotApiEmulator(flood_limits=False) as emu, aiohttp.ClientSession() as session:
        user = emu.add_user("B", started=True)
        for i in range(50):
            status, _ = await call_api(session, emu, "sendMessage", chat_id=user.id, text=f"{i}")
            assert status == 200
