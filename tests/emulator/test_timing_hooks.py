"""The emulator's timing hooks used by the benchmarks: delivery times, arrival times, listeners."""

from __future__ import annotations

import time

from bot.sandbox.emulator import BotApiEmulator, RequestRecord

from .conftest import Call


async def test_first_hand_out_of_each_update_is_timed(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    first = await emu.send_text(user, "satu")
    before = time.perf_counter()
    _, body = await api("getUpdates")
    after = time.perf_counter()
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 1 and first["text"] == "satu"
    handed_out = emu.delivered_at[ids[0]]
    assert before <= handed_out <= after
    # Handed out again (not confirmed yet): the first time is kept.
    await emu.send_text(user, "dua")
    _, body = await api("getUpdates")
    assert [u["update_id"] for u in body["result"]][0] == ids[0]
    assert emu.delivered_at[ids[0]] == handed_out
    assert len(emu.delivered_at) == 2
    emu.reset_records()
    assert emu.delivered_at == {}


async def test_requests_carry_their_arrival_time_and_reach_listeners(
    emu: BotApiEmulator, api: Call
) -> None:
    user = emu.add_user("Sari", started=True)
    seen: list[RequestRecord] = []
    emu.request_listeners.append(seen.append)
    before = time.perf_counter()
    status, _ = await api("sendMessage", chat_id=user.id, text="halo")
    bad, _ = await api("sendMessage", chat_id=user.id, text="")
    after = time.perf_counter()
    assert (status, bad) == (200, 400)
    assert [(r.method, r.ok) for r in seen] == [("sendMessage", True), ("sendMessage", False)]
    assert seen == emu.requests
    assert before <= seen[0].received <= seen[1].received <= after
    # getUpdates is not a recorded request, so listeners do not hear of it.
    await api("getUpdates")
    assert len(seen) == 2


async def test_last_update_id_names_the_update_just_queued(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    assert emu.last_update_id == 0
    await emu.send_text(user, "halo")
    first = emu.last_update_id
    await emu.send_text(user, "lagi")
    _, body = await api("getUpdates")
    assert [u["update_id"] for u in body["result"]] == [first, emu.last_update_id]
    assert emu.last_update_id == first + 1
