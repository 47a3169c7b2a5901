"""getUpdates: offsets, limit, long polling, allowed_updates, conflicts, webhooks."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from aiohttp import web

from bot.sandbox.emulator import BotApiEmulator

from .conftest import Call


async def test_offset_confirms_and_limit(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    for i in range(5):
        await emu.send_text(user, f"m{i}")
    _, body = await api("getUpdates", limit=2)
    first = body["result"]
    assert [u["message"]["text"] for u in first] == ["m0", "m1"]
    # Without offset nothing is confirmed: same updates again.
    _, body = await api("getUpdates", limit=2)
    assert body["result"] == first
    _, body = await api("getUpdates", offset=first[-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["m2", "m3", "m4"]
    assert emu.pending_updates == 3
    _, body = await api("getUpdates", offset=body["result"][-1]["update_id"] + 1)
    assert body["result"] == [] and emu.pending_updates == 0
    assert emu.get_updates_count == 4
    assert all(r.method != "getUpdates" for r in emu.requests)


async def test_negative_offset_keeps_the_tail(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    for i in range(4):
        await emu.send_text(user, f"m{i}")
    _, body = await api("getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["m3"]


async def test_long_poll_wakes_on_update(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    started = time.monotonic()
    poll = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    await emu.send_text(user, "halo")
    _, body = await poll
    assert body["result"][0]["message"]["text"] == "halo"
    assert time.monotonic() - started < 2


async def test_long_poll_times_out_empty(api: Call) -> None:
    started = time.monotonic()
    _, body = await api("getUpdates", timeout=1)
    assert body["result"] == []
    assert 0.9 < time.monotonic() - started < 3


async def test_second_getupdates_terminates_the_first(api: Call) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = await api("getUpdates", timeout=0)
    status, body = await first
    assert (status, body["description"]) == (
        409,
        "Conflict: terminated by other getUpdates request",
    )
    assert second[0] == 200


async def test_allowed_updates_persist(emu: BotApiEmulator, api: Call) -> None:
    user = emu.add_user("Sari")
    await api("getUpdates", allowed_updates=["callback_query"])
    await emu.send_text(user, "ignored")
    _, body = await api("getUpdates")  # no allowed_updates: the previous choice stays
    assert body["result"] == []
    assert emu.dropped_updates == 1
    await api("getUpdates", allowed_updates=[])  # empty list: back to the default set
    await emu.send_text(user, "seen")
    _, body = await api("getUpdates")
    assert body["result"][0]["message"]["text"] == "seen"


async def test_chat_member_updates_are_opt_in(emu: BotApiEmulator, api: Call) -> None:
    admin, joiner = emu.add_user("Admin"), emu.add_user("Baru")
    group = emu.create_group("Kelas", admins=[admin])
    await emu.join_group(group, joiner)
    _, body = await api("getUpdates")
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["message"]
    await api(
        "getUpdates",
        offset=body["result"][-1]["update_id"] + 1,
        allowed_updates=["message", "chat_member"],
    )
    await emu.leave_group(group, joiner)
    _, body = await api("getUpdates")
    kinds = sorted(next(k for k in u if k != "update_id") for u in body["result"])
    assert kinds == ["chat_member", "message"]


async def test_updates_expire_after_24_hours(emu: BotApiEmulator, api: Call) -> None:
    await emu.send_text(emu.add_user("Sari"), "lama")
    emu.advance(timedelta(hours=25))
    _, body = await api("getUpdates")
    assert body["result"] == []


async def test_webhook_blocks_getupdates_and_delivers(emu: BotApiEmulator, api: Call) -> None:
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        status, body = await api("setWebhook", url="http://example.com/hook")
        assert status == 400 and "HTTPS" in body["description"]
        url = f"http://127.0.0.1:{port}/hook"
        assert (await api("setWebhook", url=url, secret_token="s3cret"))[0] == 200
        status, body = await api("getUpdates")
        assert status == 409
        assert body["description"] == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        await emu.send_text(emu.add_user("Sari"), "via hook")
        await emu.wait_for(lambda: received, timeout=3)
        assert received[0]["message"]["text"] == "via hook"
        _, info = await api("getWebhookInfo")
        assert info["result"]["url"] == url
        await emu.wait_for(lambda: emu.pending_updates == 0, timeout=3)
        assert (await api("deleteWebhook", drop_pending_updates=True))[0] == 200
        assert (await api("getUpdates"))[0] == 200
    finally:
        await runner.cleanup()


async def test_drop_pending_updates(emu: BotApiEmulator, api: Call) -> None:
    await emu.send_text(emu.add_user("Sari"), "x")
    await api("deleteWebhook", drop_pending_updates=True)
    assert emu.pending_updates == 0


async def test_send_update_passes_odd_updates_through(emu: BotApiEmulator, api: Call) -> None:
    await emu.send_update({"channel_post": {"message_id": 1}, "weird_kind": {"x": 1}})
    _, body = await api("getUpdates")
    assert body["result"][0]["weird_kind"] == {"x": 1}
