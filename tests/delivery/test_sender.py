"""The bulk sender against the emulator: sent, blocked, retried, failed, counted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from telegram.ext import ExtBot

from bot.clock import FixedClock
from bot.delivery.models import Button, Document, OutgoingMessage
from bot.delivery.sender import BulkSender
from bot.delivery.stats import DeliveryStats
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.delivery import DeliveryStatsRepository
from bot.storage.users import UserRepository

MakeBot = Callable[..., Awaitable[ExtBot[Any]]]
NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


async def make_sender(bot: ExtBot[Any], db: Database) -> BulkSender:
    from zoneinfo import ZoneInfo

    users = UserRepository(db)
    stats = DeliveryStats(DeliveryStatsRepository(db), FixedClock(NOW), ZoneInfo("Asia/Jakarta"))
    return BulkSender(bot, stats, on_blocked=lambda uid: users.set_active(uid, False),
                      max_retries=3, base_delay=0.01)


async def test_sends_text_with_buttons_and_documents(
    emulator: BotApiEmulator, make_bot: MakeBot, db: Database
) -> None:
    sender = await make_sender(await make_bot(), db)
    user = emulator.add_user("Sari", started=True)
    result = await sender.send(OutgoingMessage(
        user.id, "<b>Halo</b>", buttons=((Button("Belajar sekarang ▶", "learn:go"),),)))
    assert result.sent and result.message_id is not None
    [message] = emulator.messages(user)
    assert message["text"] == "Halo"
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "learn:go"
    doc = await sender.send(OutgoingMessage(user.id, "Laporan", kind="broadcast",
                                            document=Document("r.csv", b"a,b\n")))
    assert doc.sent
    assert sender.stats.of("nudge").sent == 1 and sender.stats.of("broadcast").sent == 1


async def test_blocked_and_deactivated_learners_become_inactive(
    emulator: BotApiEmulator, make_bot: MakeBot, db: Database
) -> None:
    sender = await make_sender(await make_bot(), db)
    users = UserRepository(db)
    blocker, gone = emulator.add_user("A", started=True), emulator.add_user("B", started=True)
    for u in (blocker, gone):
        await users.touch(user_id=u.id, first_name=u.first_name, last_name=None, username=None,
                          telegram_language="id", timezone="Asia/Jakarta", now=NOW)
    emulator.block_bot(blocker)
    emulator.deactivate(gone)
    for u in (blocker, gone):
        result = await sender.send(OutgoingMessage(u.id, "hi"))
        assert result.status == "blocked"
        stored = await users.get(u.id)
        assert stored is not None and not stored.is_active
    assert sender.stats.of("nudge").blocked == 2


async def test_transient_errors_are_retried_permanent_ones_fail(
    emulator: BotApiEmulator, make_bot: MakeBot, db: Database
) -> None:
    sender = await make_sender(await make_bot(), db)
    user = emulator.add_user("Sari", started=True)
    emulator.fail_next("sendMessage", 500, "Internal Server Error", count=2)
    result = await sender.send(OutgoingMessage(user.id, "hi"))
    assert result.sent and result.retries == 2
    emulator.fail_next("sendMessage", 502, "Bad Gateway", count=4)
    result = await sender.send(OutgoingMessage(user.id, "hi"))
    assert result.status == "failed" and result.retries == 3
    emulator.fail_next("sendMessage", 400, "Bad Request: chat not found")
    result = await sender.send(OutgoingMessage(user.id, "hi"))
    assert result.status == "failed" and result.retries == 0
    counters = sender.stats.of("nudge")
    assert (counters.sent, counters.retried, counters.failed) == (1, 5, 2)
    await sender.stats.flush()
    saved = await DeliveryStatsRepository(db).for_day("2025-06-02")
    assert saved["nudge"].retried == 5
    assert [m["text"] for m in emulator.messages(user)] == ["hi"]
