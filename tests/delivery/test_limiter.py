"""The rate limiter against the emulator's flood limits (Telegram's values)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import ExtBot

from bot.delivery.limiter import SinauRateLimiter
from bot.sandbox.emulator import BotApiEmulator

MakeBot = Callable[..., Awaitable[ExtBot[Any]]]


def limiter(bot: ExtBot[Any]) -> SinauRateLimiter:
    assert isinstance(bot.rate_limiter, SinauRateLimiter)
    return bot.rate_limiter


async def test_a_burst_to_many_chats_gets_no_429(
    emulator: BotApiEmulator, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    users = [emulator.add_user(f"U{i}", started=True) for i in range(90)]
    await asyncio.gather(
        *(bot.send_message(u.id, "hi", rate_limit_args={"bulk": True}) for u in users)
    )
    assert emulator.flood_429_count == 0
    assert all(len(emulator.messages(u)) == 1 for u in users)


async def test_several_replies_to_one_chat_get_no_429(
    emulator: BotApiEmulator, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    user = emulator.add_user("Sari", started=True)
    for i in range(6):
        await bot.send_message(user.id, f"part {i}")
    assert emulator.flood_429_count == 0
    assert [m["text"] for m in emulator.messages(user)] == [f"part {i}" for i in range(6)]


async def test_injected_429s_are_waited_out_not_dropped(
    emulator: BotApiEmulator, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    users = [emulator.add_user(f"U{i}", started=True) for i in range(10)]
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", count=4,
                       retry_after=1)
    await asyncio.gather(
        *(bot.send_message(u.id, "hi", rate_limit_args={"bulk": True}) for u in users)
    )
    assert all(len(emulator.messages(u)) == 1 for u in users)
    assert limiter(bot).counters.retry_after == 4


async def test_unpaced_methods_pass_straight_through(
    emulator: BotApiEmulator, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    await bot.get_me()
    await bot.set_my_commands([])
    assert limiter(bot).counters.paced == 0


async def test_interactive_reply_overtakes_a_bulk_batch(
    emulator: BotApiEmulator, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    users = [emulator.add_user(f"U{i}", started=True) for i in range(60)]
    learner = emulator.add_user("Asking", started=True)
    batch = [
        asyncio.create_task(bot.send_message(u.id, "nudge", rate_limit_args={"bulk": True}))
        for u in users
    ]
    await asyncio.sleep(0.2)  # the batch is under way
    await bot.send_message(learner.id, "reply")
    done = sum(task.done() for task in batch)
    await asyncio.gather(*batch)
    assert done < len(users) // 2, done
    assert emulator.flood_429_count == 0
