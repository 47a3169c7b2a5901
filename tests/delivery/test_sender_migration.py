"""The bulk sender and a group upgraded to a supergroup (ChatMigrated)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import ExtBot

from bot.clock import FixedClock
from bot.delivery.models import OutgoingMessage
from bot.delivery.sender import BulkSender
from bot.delivery.stats import DeliveryStats
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.delivery import DeliveryStatsRepository

MakeBot = Callable[..., Awaitable[ExtBot[Any]]]
NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


async def _sender(bot: ExtBot[Any], db: Database, seen: list[tuple[int, int]],
                  *, broken: bool = False) -> BulkSender:
    async def migrated(old: int, new: int) -> None:
        seen.append((old, new))
        if broken:
            raise RuntimeError("database is locked")

    stats = DeliveryStats(DeliveryStatsRepository(db), FixedClock(NOW), ZoneInfo("Asia/Jakarta"))
    return BulkSender(bot, stats, on_migrated=migrated, max_retries=2, base_delay=0.01)


async def test_broadcast_follows_the_group_once(
    emulator: BotApiEmulator, make_bot: MakeBot, db: Database
) -> None:
    seen: list[tuple[int, int]] = []
    sender = await _sender(await make_bot(), db, seen)
    admin = emulator.add_user("Tari")
    group = emulator.create_group("Grup", supergroup=False, admins=[admin])
    new = emulator.upgrade_to_supergroup(group, announce=False)

    result = await sender.send(OutgoingMessage(group.id, "Halo grup", kind="broadcast"))
    assert result.sent and result.migrated_to == new.id
    assert seen == [(group.id, new.id)]
    assert [m["text"] for m in emulator.messages(new)] == ["Halo grup"]
    assert [r.chat_id for r in emulator.requests if r.method == "sendMessage"] == [
        group.id, new.id]
    assert sender.stats.of("broadcast").sent == 1 and sender.stats.of("broadcast").failed == 0


async def test_a_message_that_must_not_follow_fails_with_the_new_id(
    emulator: BotApiEmulator, make_bot: MakeBot, db: Database
) -> None:
    seen: list[tuple[int, int]] = []
    sender = await _sender(await make_bot(), db, seen, broken=True)
    admin = emulator.add_user("Tari")
    group = emulator.create_group("Grup", supergroup=False, admins=[admin])
    new = emulator.upgrade_to_supergroup(group, announce=False)

    result = await sender.send(OutgoingMessage(group.id, "Utas", kind="discussion",
                                               follow_migration=False))
    assert (result.status, result.migrated_to) == ("failed", new.id)
    assert result.error is not None and "New chat id" in result.error
    # A failing recorder is logged, never raised: the caller still gets its result.
    assert seen == [(group.id, new.id)]
    assert emulator.messages(new) == []
    assert sender.stats.of("discussion").failed == 1
    assert emulator.violations == []
