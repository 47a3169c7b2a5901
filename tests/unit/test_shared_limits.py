"""The bot's one rate limit in PostgreSQL (bot.delivery.shared, flood_take): several workers,
each with its own pool, take send slots from one ledger.

What is checked is the limit, never a speed: three workers sending at once never release more
than Telegram's 30 messages in any second, never two messages to one private chat closer than
its token bucket allows, never more than a group's cap within its window; and a slot whose
answer never came back (its worker died) stops counting once stale.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import DatabaseSettings, DeliverySettings
from bot.delivery.shared import SharedLimits
from bot.storage import Database, open_database
from bot.storage.cluster import FloodLedger, FloodRules

pytestmark = pytest.mark.postgresql


@pytest.fixture
def backend() -> str:
    """PostgreSQL only: SQLite serves one process."""
    return "postgresql"


@pytest.fixture
async def workers(database_settings: dict[str, Any]) -> AsyncIterator[list[Database]]:
    """Three workers' databases: three pools on one PostgreSQL database."""
    opened = [open_database(DatabaseSettings(**database_settings)) for _ in range(3)]
    for db in opened:
        await db.open()
    yield opened
    for db in opened:
        await db.close()


def most_within(moments: list[float], span: float) -> int:
    """The largest number of ``moments`` inside any window of ``span`` seconds."""
    moments = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= span:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_three_workers_together_release_at_most_30_a_second(
    workers: list[Database],
) -> None:
    settings = DeliverySettings()
    limits = [SharedLimits(FloodLedger(db), settings) for db in workers]
    released: list[float] = []

    async def send(limit: SharedLimits, chat: int) -> None:
        async with limit.slot(chat, is_group=False, bulk=True):
            released.append(time.monotonic())
            await asyncio.sleep(0.03)   # the request and its answer

    sends = [send(limits[n % 3], 1000 + n) for n in range(150)]
    await asyncio.gather(*sends)
    for limit in limits:
        await limit.close()
    assert len(released) == 150
    assert most_within(released, 1.0) <= 30
    assert sum(limit.taken for limit in limits) == 150
    assert all(limit.taken > 0 for limit in limits)   # every worker got its share


async def test_one_chat_keeps_its_bucket_across_workers(workers: list[Database]) -> None:
    settings = DeliverySettings()
    limits = [SharedLimits(FloodLedger(db), settings) for db in workers]
    released: list[float] = []

    async def send(limit: SharedLimits) -> None:
        async with limit.slot(42, is_group=False, bulk=False):
            released.append(time.monotonic())
            await asyncio.sleep(0.01)

    await asyncio.gather(*(send(limits[n % 3]) for n in range(6)))
    for limit in limits:
        await limit.close()
    # A bucket of chat_burst (3) refilled at 1 a second: 6 sends take 3 s at least, and no
    # window of one second ever holds more than the burst.
    released.sort()
    assert released[-1] - released[0] >= 6 - settings.chat_burst - 0.1
    assert most_within(released, 1.0) <= settings.chat_burst


async def test_a_group_cap_holds_across_workers(workers: list[Database]) -> None:
    rules = FloodRules(capacity=30, window=1.05, interval=0.001, chat_rate=100.0,
                       burst=100.0, group_cap=3, group_window=1.5, stale=30.0)
    ledgers = [FloodLedger(db) for db in workers]
    group = -100123
    taken = []
    for ledger in ledgers:
        answer = await ledger.take(group, is_group=True, bulk=True, slots=1, rules=rules)
        assert answer.reason == "taken", answer
        await ledger.done(list(answer.slots))
        taken.append(answer)
        await asyncio.sleep(0.002)
    refused = await ledgers[0].take(group, is_group=True, bulk=True, slots=1, rules=rules)
    assert refused.reason == "chat" and 0 < refused.wait <= rules.group_window, refused
    await asyncio.sleep(refused.wait + 0.05)
    again = await ledgers[1].take(group, is_group=True, bulk=True, slots=1, rules=rules)
    assert again.reason == "taken", again


async def test_a_slot_of_a_dead_worker_stops_counting_once_stale(
    workers: list[Database],
) -> None:
    rules = FloodRules(capacity=3, window=1.05, interval=0.001, chat_rate=100.0,
                       burst=100.0, group_cap=20, group_window=60.0, stale=0.5)
    dead, alive = FloodLedger(workers[0]), FloodLedger(workers[1])
    for chat in (1, 2):   # taken, never answered: the worker died mid-request
        answer = await dead.take(chat, is_group=False, bulk=False, slots=1, rules=rules)
        assert answer.reason == "taken"
        await asyncio.sleep(0.002)
    # Bulk leaves one slot of the window to replies: with two in flight, bulk must wait.
    full = await alive.take(3, is_group=False, bulk=True, slots=1, rules=rules)
    assert full.reason == "window", full
    await asyncio.sleep(0.6)
    later = await alive.take(3, is_group=False, bulk=True, slots=1, rules=rules)
    assert later.reason == "taken", later
