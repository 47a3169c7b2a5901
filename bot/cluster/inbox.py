"""Webhook updates across workers: accepted by any, handled in order per chat by one.

The load balancer gives each webhook request to any worker. That worker stores the update in
the inbox (so a 200 to Telegram never loses it, and a redelivery is recognised by its
update_id), answers at once, and then tries to take the update's chat: a session advisory lock
keyed by the chat id. The worker that holds a chat's lock handles the chat's waiting updates
one after another in update_id order, then releases the lock and looks again (an update that
arrived meanwhile was either seen by that look or taken by its own receiver). So one chat's
updates are never handled by two workers at once, nor out of order, and different chats run
in parallel on all workers.

When a worker dies, PostgreSQL releases its locks; the updates it had accepted or was handling
wait in the inbox, and every worker's sweep (each second) takes chats whose updates have
waited too long. An update whose handling was started ``max_attempts`` times without finishing
(it killed its workers) is put aside and logged, so it cannot stop its chat for good.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.storage.cluster import Inbox, WorkerSession

logger = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Awaitable[None]]


def _quietly(task: asyncio.Future[bool]) -> None:
    """Retrieve a release's failure nobody awaits any more (the worker is stopping)."""
    if not task.cancelled() and task.exception() is not None:
        logger.debug("chat lock release failed while stopping", exc_info=task.exception())


class WebhookInbox:
    """This worker's side of the inbox: accept, take chats, handle, sweep."""

    def __init__(self, inbox: Inbox, session: WorkerSession, handle: Handle,
                 chat_of: Callable[[dict[str, Any]], int], *, batch: int = 20,
                 sweep_every: float = 1.0, sweep_after: float = 1.0,
                 max_attempts: int = 3, keep_handled: float = 3600.0,
                 prune_every: float = 60.0,
                 forget: Callable[[int], bool] | None = None) -> None:
        self._inbox = inbox
        # True for an update whose row must go at once, not stay an hour with its chat id:
        # one from a person whose data was erased (PrivacyService.forgotten).
        self._forget = forget
        self._session = session
        self._handle = handle
        self._chat_of = chat_of
        self._batch = batch
        self._sweep_every = sweep_every
        self._sweep_after = sweep_after
        self._max_attempts = max_attempts
        self._keep_handled = keep_handled
        self._prune_every = prune_every
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = False
        self.accepted = 0
        self.duplicates = 0
        self.handled = 0
        self.given_up = 0

    async def accept(self, update: dict[str, Any]) -> bool:
        """Store an update and start on its chat; False if it was a redelivery."""
        if self._stopping:
            raise RuntimeError("stopping: not accepting updates")
        chat = self._chat_of(update)
        stored = await self._inbox.accept(int(update["update_id"]), chat,
                                          json.dumps(update, ensure_ascii=False))
        if stored:
            self.accepted += 1
            self.kick(chat)
        else:
            self.duplicates += 1
        return stored

    def kick(self, chat: int) -> None:
        """Take the chat's waiting updates, unless this worker is on it already."""
        if self._stopping:
            return
        if chat in self._draining:
            self._again.add(chat)
            return
        task = asyncio.get_running_loop().create_task(self._drain(chat), name=f"chat-{chat}")
        self._draining[chat] = task
        task.add_done_callback(lambda _: self._draining.pop(chat, None))

    async def _drain(self, chat: int) -> None:
        while not self._stopping:
            self._again.discard(chat)
            taken = await self._session.take_chat(chat, self._batch)
            if taken is None:
                return  # another worker holds the chat; it looks again before it lets go
            try:
                for item in taken:
                    if self._stopping:
                        break
                    await self._one(item.update_id, item.payload, item.attempts)
            finally:
                # Released even when this task is cancelled (a stop): the lock must not stay.
                release = asyncio.ensure_future(self._session.release_chat(chat))
                release.add_done_callback(_quietly)
                waiting = await asyncio.shield(release)
            if not waiting and chat not in self._again:
                return

    async def _one(self, update_id: int, payload: dict[str, Any], attempts: int) -> None:
        if attempts > self._max_attempts:
            self.given_up += 1
            logger.error("update %d was started %d times without finishing: put aside",
                         update_id, attempts - 1)
        else:
            try:
                await self._handle(payload)
            except Exception:  # noqa: BLE001 - handled means "done with", like PTB's errors
                logger.exception("update %d failed", update_id)
            self.handled += 1
        if self._forget is not None and self._forget(update_id):
            await self._inbox.forget(update_id)
        else:
            await self._inbox.handled(update_id)

    async def start(self) -> None:
        """Start the sweep (updates left by a worker that died, or that nobody took)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="inbox-sweep")

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        pruned = loop.time()
        while not self._stopping:
            try:
                for chat in await self._inbox.waiting_chats(self._sweep_after, 200):
                    self.kick(chat)
                if loop.time() - pruned >= self._prune_every:
                    # Handled rows are kept an hour to recognise a redelivery, then go.
                    await self._inbox.prune(self._keep_handled)
                    pruned = loop.time()
            except Exception:  # noqa: BLE001 - the next sweep tries again
                logger.warning("inbox sweep failed", exc_info=True)
            await asyncio.sleep(self._sweep_every)

    async def stop(self, grace: float = 5.0) -> None:
        """Accept nothing more; let the updates being handled finish (within ``grace`` s)."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        running = list(self._draining.values())
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def busy(self) -> int:
        """Chats this worker is handling now."""
        return len(self._draining)
