"""Several ``sinau run`` workers on one PostgreSQL behind HAProxy, the emulator pushing webhooks.

The small test: two workers share the webhook; one leads; a redelivered update is handled
once; a burst of one learner's messages is answered in the order sent although HAProxy spreads
the requests over both workers; the lead passes to the other worker within seconds of a
SIGKILL; a SIGTERM stops a worker within 10 s.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Any

from bench.learners import Learner, Tracker, sinau_journey
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from tests.cluster.conftest import farm_env
from tests.cluster.farm import Farm


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float,  # noqa: ASYNC109
                     farm: Farm, what: str) -> None:
    """Poll ``check`` until true; fail with the workers' logs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            logs = "\n".join(f"--- worker {w.index}\n{w.output()[-2500:]}" for w in farm.workers)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.05)


def replies(emulator: BotApiEmulator, chat_id: int, since: int) -> list[str]:
    """The texts the bot sent to one chat after request number ``since``, in order."""
    return [str(r.params.get("text", "")) for r in emulator.requests[since:]
            if r.ok and r.method == "sendMessage" and str(r.chat_id) == str(chat_id)]


async def test_two_workers_one_webhook_in_order_once_and_a_new_leader(
    emulator: BotApiEmulator, pg: Database, pg_url: str, farm_factory: Any,
) -> None:
    farm: Farm = await farm_factory(farm_env(emulator, pg_url, SINAU_NUDGES__ENABLED="false"), 2)
    await eventually(lambda: emulator.updates.webhook is not None, 20, farm, "the webhook")
    reports = [await farm.health(w) for w in farm.workers]
    assert all(r is not None and r["status"] == "ok" for r in reports), reports
    assert sum(bool(r["leader"]) for r in reports if r) == 1, reports
    names = {r["worker"] for r in reports if r}
    assert len(names) == 2, reports

    # A learner onboards and learns; each step may go to either worker.
    tracker = Tracker(emulator)
    ayu = Learner(emulator, tracker, emulator.add_user("Ayu"))
    await asyncio.wait_for(sinau_journey(ayu), 120)

    # Each command alone, to know its answer; then all of them at once, twice over.
    commands = ["/help", "/progress", "/privacy", "/courses", "/settings"]
    alone: list[list[str]] = []
    for command in commands:
        mark = len(emulator.requests)
        await ayu.text(command, lambda r: r.ok and r.method == "sendMessage")
        await emulator.settle(quiet=0.5)
        alone.append(replies(emulator, ayu.user.id, mark))
    expected = [text for _ in range(2) for answer in alone for text in answer]
    mark = len(emulator.requests)
    for _ in range(2):
        for command in commands:
            await emulator.send_text(ayu.user, command)
    await eventually(lambda: len(replies(emulator, ayu.user.id, mark)) >= len(expected), 30,
                     farm, "the burst's answers")
    await emulator.settle(quiet=0.5)
    assert replies(emulator, ayu.user.id, mark) == expected

    # A redelivered update (Telegram repeats one whose 200 it did not see) is handled once.
    mark = len(emulator.requests)
    sent = await emulator.send_text(ayu.user, "/help")
    update_id = emulator.last_update_id
    await eventually(lambda: len(replies(emulator, ayu.user.id, mark)) >= len(alone[0]), 20,
                     farm, "the answer to /help")
    emulator.updates.push_raw({"update_id": update_id, "message": copy.deepcopy(sent)})
    await emulator.settle(quiet=1.0)
    assert replies(emulator, ayu.user.id, mark) == alone[0]
    waiting = await pg.fetch_value("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
    assert waiting == 0

    # The leader dies without a word: the other worker leads within a few seconds.
    leader = await farm.leader()
    assert leader is not None
    farm.kill(leader)
    survivor = next(w for w in farm.workers if w is not leader)

    async def took_over() -> bool:
        report = await farm.health(survivor)
        return report is not None and bool(report["leader"])

    await eventually(took_over, 10, farm, "a new leader")
    # The survivor serves alone (HAProxy stops sending to the dead one).
    mark = len(emulator.requests)
    await ayu.text("/help", lambda r: r.ok and r.method == "sendMessage")
    await emulator.settle(quiet=0.5)
    assert replies(emulator, ayu.user.id, mark) == alone[0]

    # SIGTERM: the worker stops within the 10 s the spec gives, and cleanly.
    assert await farm.stop_worker(survivor, 10) == 0, survivor.output()[-3000:]
    assert not emulator.violations
    assert emulator.flood_429_count == 0
