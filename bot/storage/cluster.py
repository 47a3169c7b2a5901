"""What several workers on one PostgreSQL database share: the inbox, locks, the send limiter.

PostgreSQL only (the tables come with postgresql/009). The ``Inbox`` holds webhook updates
until the worker that holds their chat has handled them; ``WorkerSession`` holds a worker's
advisory locks (a chat's, the leader's, the polling instance's) on the worker's own
connection; ``FloodLedger`` is the bot's one rate limit, in the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.db import Database
from bot.storage.postgres import LOCK_BASE, Session

LEADER_LOCK = LOCK_BASE + 2
POLLING_LOCK = LOCK_BASE + 3

_NOW = "extract(epoch FROM clock_timestamp())"


@dataclass(frozen=True, slots=True)
class WaitingUpdate:
    """An update taken from the inbox to be handled now."""

    update_id: int
    payload: dict[str, Any]
    attempts: int


class Inbox:
    """Webhook updates from their acceptance until they were handled (shared statements)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(self, update_id: int, chat_id: int, payload: str) -> bool:
        """Keep an update; False when it was here already (Telegram delivered it again)."""
        return await self._db.execute(
            "INSERT INTO inbox (update_id, chat_id, payload, received_at)"
            f" VALUES (?, ?, ?, {_NOW}) ON CONFLICT (update_id) DO NOTHING",  # noqa: S608
            (update_id, chat_id, payload),
        ) == 1

    async def handled(self, update_id: int) -> None:
        """The update was handled (or given up on): never again."""
        # The payload goes at once (it holds names and texts); the id stays a while to
        # recognise a redelivery.
        await self._db.write(
            f"UPDATE inbox SET handled_at = {_NOW}, payload = '' WHERE update_id = ?",  # noqa: S608
            (update_id,))

    async def forget(self, update_id: int) -> None:
        """The update was handled and nothing of it may stay, not even its chat id (it came
        from a person whose data was erased); a redelivery would be handled again."""
        await self._db.write("DELETE FROM inbox WHERE update_id = ?", (update_id,))

    async def waiting_chats(self, older_than: float, limit: int) -> list[int]:
        """Chats with updates waiting longer than ``older_than`` seconds (nobody on them)."""
        rows = await self._db.fetch_all(
            "SELECT chat_id FROM inbox WHERE handled_at IS NULL"
            f" AND received_at < {_NOW} - ? GROUP BY chat_id"  # noqa: S608
            " ORDER BY MIN(update_id) LIMIT ?",
            (float(older_than), limit),
        )
        return [int(r["chat_id"]) for r in rows]

    async def prune(self, keep_seconds: float) -> int:
        """Forget handled updates older than ``keep_seconds``; how many."""
        return await self._db.execute(
            f"DELETE FROM inbox WHERE handled_at < {_NOW} - ?",  # noqa: S608
            (float(keep_seconds),))

    async def waiting(self) -> int:
        """Updates accepted and not handled yet."""
        return int(await self._db.fetch_value(
            "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") or 0)


class WorkerSession:
    """One worker's advisory locks, on its own connection (released when it dies)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def closed(self) -> bool:
        """True once the connection is gone: every lock of this worker is released."""
        return self._session.closed

    async def try_lock(self, key: int) -> bool:
        """Take a lock if nobody holds it; True if taken."""
        return bool(await self._session.fetch_value(
            "SELECT pg_try_advisory_lock(CAST(? AS BIGINT))", (key,)))

    async def unlock(self, key: int) -> None:
        """Release a lock this worker holds."""
        await self._session.fetch_value("SELECT pg_advisory_unlock(CAST(? AS BIGINT))", (key,))

    async def alive(self) -> bool:
        """One statement on the connection: False when it broke."""
        try:
            return await self._session.fetch_value("SELECT 1") == 1
        except Exception:  # noqa: BLE001 - any failure means the session is gone
            return False

    async def take_chat(self, chat_id: int, limit: int) -> list[WaitingUpdate] | None:
        """Lock the chat and take its oldest waiting updates; None if another worker has it.

        One statement: the lock is tried once (a materialized CTE), and only when it was
        taken are the updates counted as attempted and returned, in update_id order.
        """
        rows = await self._session.fetch_all(
            """
            WITH got AS MATERIALIZED (SELECT pg_try_advisory_lock(CAST(:k AS BIGINT)) AS ok),
                 taken AS (
                   UPDATE inbox SET attempts = attempts + 1
                    WHERE (SELECT ok FROM got) AND update_id IN (
                          SELECT update_id FROM inbox WHERE chat_id = :k
                             AND handled_at IS NULL ORDER BY update_id LIMIT :n)
                   RETURNING update_id, payload, attempts)
            SELECT (SELECT ok FROM got) AS locked, t.update_id, t.payload, t.attempts
              FROM (SELECT 1) AS one LEFT JOIN taken t ON true
             ORDER BY t.update_id
            """,
            {"k": chat_id, "n": limit},
        )
        if not rows or not rows[0]["locked"]:
            return None
        return [WaitingUpdate(int(r["update_id"]), json.loads(r["payload"]), int(r["attempts"]))
                for r in rows if r["update_id"] is not None]

    async def release_chat(self, chat_id: int) -> bool:
        """Unlock the chat; True if updates are waiting for it (arrived meanwhile).

        The check runs after the unlock, in the same round trip: an update accepted while
        this worker held the lock is either seen here or taken by its own receiver.
        """
        _, waiting = await self._session.batch([
            ("SELECT pg_advisory_unlock(CAST(? AS BIGINT))", (chat_id,)),
            ("SELECT EXISTS (SELECT 1 FROM inbox WHERE chat_id = ? AND handled_at IS NULL)",
             (chat_id,)),
        ])
        return bool(waiting[0][0])

    async def close(self) -> None:
        """End the session: all its locks go."""
        await self._session.close()


@dataclass(frozen=True, slots=True)
class FloodRules:
    """The limits the shared limiter keeps (see flood_take for what each means)."""

    capacity: int
    window: float
    interval: float
    chat_rate: float
    burst: float
    group_cap: int
    group_window: float
    stale: float


@dataclass(frozen=True, slots=True)
class SlotAnswer:
    """What the shared limiter said: a slot (ids) or how long to wait and why."""

    wait: float
    slots: tuple[int, ...]
    reason: str


class FloodLedger:
    """The shared send limiter's two calls (the rules are flood_take in postgresql/009)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, chat_id: int | None, *, is_group: bool, bulk: bool, slots: int,
                   rules: FloodRules) -> SlotAnswer:
        """Take a send slot, or learn how long to wait."""
        row = await self._db.fetch_one(
            "SELECT wait, slots, reason FROM flood_take(CAST(? AS BIGINT), CAST(? AS INTEGER),"
            " CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER),"
            " CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION),"
            " CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), CAST(? AS INTEGER),"
            " CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION))",
            (chat_id, int(is_group), int(bulk), slots, rules.capacity, rules.window,
             rules.interval, rules.chat_rate, rules.burst, rules.group_cap, rules.group_window,
             rules.stale),
        )
        assert row is not None
        return SlotAnswer(float(row["wait"]), tuple(row["slots"] or ()), str(row["reason"]))

    async def done(self, slots: list[int]) -> None:
        """The answers to these sends came back."""
        await self._db.execute("SELECT flood_done(CAST(? AS BIGINT[]))", (slots,))
