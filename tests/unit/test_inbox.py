"""The shared webhook inbox (bot.cluster.inbox on bot.storage.cluster), two workers' sessions.

A redelivered update is kept once; one chat is handled by one worker at a time, in update_id
order, while another worker takes other chats; a worker that dies mid-chat leaves its
updates to the others' sweep; an update that keeps killing its workers is put aside; the
leader lock passes when its holder's session ends.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.cluster.inbox import WebhookInbox
from bot.cluster.worker import Worker
from bot.storage import Database
from bot.storage.cluster import LEADER_LOCK, Inbox, WorkerSession
from bot.storage.postgres import PostgresDatabase

pytestmark = pytest.mark.postgresql


@pytest.fixture
def backend() -> str:
    """PostgreSQL only: advisory locks and the inbox are the cluster's."""
    return "postgresql"


async def until(check: Any, seconds: float) -> None:
    """Poll ``check`` (sync or async) every 20 ms until it is true or time is up."""
    for _ in range(int(seconds / 0.02)):
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.02)


def update(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": str(update_id)}}


async def session_of(db: Database) -> WorkerSession:
    assert isinstance(db, PostgresDatabase)
    return WorkerSession(await db.session())


async def test_one_chat_one_worker_in_order_and_duplicates_kept_once(db: Database) -> None:
    handled: list[tuple[str, int, int]] = []
    busy: dict[int, str] = {}

    def handler(name: str) -> Any:
        async def handle(payload: dict[str, Any]) -> None:
            chat = payload["message"]["chat"]["id"]
            assert busy.setdefault(chat, name) == name, "two workers on one chat at once"
            await asyncio.sleep(0.005)
            handled.append((name, chat, payload["update_id"]))
            busy.pop(chat)
        return handle

    def chat_of(payload: dict[str, Any]) -> int:
        return int(payload["message"]["chat"]["id"])

    sessions = [await session_of(db), await session_of(db)]
    inboxes = [WebhookInbox(Inbox(db), s, handler(f"w{i}"), chat_of, sweep_after=0.2)
               for i, s in enumerate(sessions)]
    for inbox in inboxes:
        await inbox.start()
    # Three chats, their updates spread over both workers as a load balancer would.
    updates = [update(100 + n, 1 + n % 3) for n in range(30)]
    results = await asyncio.gather(*(inboxes[n % 2].accept(u) for n, u in enumerate(updates)))
    assert all(results)
    assert not await inboxes[1].accept(updates[0])   # Telegram delivered it again
    await until(lambda: len(handled) >= 30, 20)
    for inbox in inboxes:
        await inbox.stop()
    for session in sessions:
        await session.close()
    assert len(handled) == 30
    for chat in (1, 2, 3):
        ids = [uid for _, c, uid in handled if c == chat]
        assert ids == sorted(ids), f"chat {chat} out of order"
    assert sum(inbox.duplicates for inbox in inboxes) == 1
    assert await Inbox(db).waiting() == 0
    # The payload (names, texts) is gone once handled; the id stays to spot redeliveries.
    assert await db.fetch_value("SELECT COUNT(*) FROM inbox WHERE payload <> ''") == 0


async def test_a_dead_workers_chat_goes_to_the_sweep_and_a_killer_update_is_put_aside(
    db: Database,
) -> None:
    dead = await session_of(db)
    inbox = Inbox(db)
    await inbox.accept(1, 7, json.dumps(update(1, 7)))
    await inbox.accept(2, 7, json.dumps(update(2, 7)))
    taken = await dead.take_chat(7, 10)
    assert taken is not None and [t.update_id for t in taken] == [1, 2]
    other = await session_of(db)
    assert await other.take_chat(7, 10) is None    # locked by the (still living) worker
    await dead.close()                             # it dies: PostgreSQL drops its locks
    seen: list[int] = []

    async def handle(payload: dict[str, Any]) -> None:
        seen.append(payload["update_id"])

    survivor = WebhookInbox(inbox, other, handle, lambda p: 7, sweep_every=0.05,
                            sweep_after=0.0, max_attempts=1)
    await survivor.start()
    async def drained() -> bool:
        return await inbox.waiting() == 0

    await until(drained, 10)
    await survivor.stop()
    await other.close()
    # Each had been started once already (by the dead worker): with max_attempts=1 the second
    # start is one too many, so both are put aside instead of run again.
    assert seen == []
    assert survivor.given_up == 2
    assert await inbox.waiting() == 0


async def test_the_lead_passes_when_the_leaders_session_ends(db: Database) -> None:
    first = Worker(await session_of(db), on_lost=lambda: None, interval=0.05)
    second = Worker(await session_of(db), on_lost=lambda: None, interval=0.05)
    await first.start()
    await second.start()
    assert first.is_leader and not second.is_leader
    await first.stop()
    await until(lambda: second.is_leader, 5)
    assert second.is_leader and second.term == 1
    other = await session_of(db)
    assert not await other.try_lock(LEADER_LOCK)
    await second.stop()
    await other.close()
