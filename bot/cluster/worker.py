"""One worker among several: its name, its advisory locks, and whether it leads.

The leader runs the periodic jobs (nudges, broadcasts, weekly prompts, the retention purge and
the housekeeping); every worker answers webhook updates. Leadership is a session-level
advisory lock on the worker's own connection: when the leader's process dies, PostgreSQL
drops its connection and the lock at once, and another worker, which tries every second,
takes over. A worker whose own connection breaks has lost every lock it held, so it stops
(``on_lost``) instead of carrying on as a leader that no longer is one; its supervisor
starts it again.

A single instance (SQLite, or long polling, which Telegram allows only once) is always the
leader: ``SoleInstance``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from typing import Protocol

from bot.storage.cluster import LEADER_LOCK, WorkerSession

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """A name for this process, unique among the workers: host, pid and a random tag."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Leadership(Protocol):
    """Whether this process runs the periodic jobs now."""

    @property
    def is_leader(self) -> bool:
        """True while this process leads."""
        ...

    @property
    def term(self) -> int:
        """Counts the times this process became leader (0: never)."""
        ...


class SoleInstance:
    """The only process on its database: the leader from the start."""

    name = "sole"
    is_leader = True
    term = 1


class Worker:
    """A worker of a cluster: the leader lock tried every ``interval`` seconds."""

    def __init__(self, session: WorkerSession, *, on_lost: Callable[[], None],
                 interval: float = 1.0, name: str | None = None) -> None:
        self.name = name or worker_name()
        self._session = session
        self._on_lost = on_lost
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False
        self.term = 0
        self.lost = False

    @property
    def session(self) -> WorkerSession:
        """The worker's own connection, with its locks."""
        return self._session

    async def start(self) -> None:
        """Try for leadership once now, then keep trying (and watching the connection)."""
        await self._round()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="leadership")

    async def _round(self) -> None:
        if not self.is_leader:
            if await self._session.try_lock(LEADER_LOCK):
                self.is_leader = True
                self.term += 1
                logger.info("worker %s leads now (term %d)", self.name, self.term)
        elif not await self._session.alive():
            raise ConnectionError("the worker's database session broke")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._round()
            except Exception:  # noqa: BLE001 - any failure: the locks are no longer ours
                self.is_leader = False
                self.lost = True
                logger.critical("worker %s lost its database session (and its locks): "
                                "stopping", self.name, exc_info=True)
                self._on_lost()
                return

    async def stop(self) -> None:
        """Stop trying and end the session: the lock goes to another worker at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.is_leader = False
        if not self._session.closed:
            await self._session.close()
