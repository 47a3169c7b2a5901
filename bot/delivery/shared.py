"""One bot, one rate limit: Telegram's flood limits for all workers together, in PostgreSQL.

Telegram counts messages per bot, not per process. When several workers share one database
(webhook mode on PostgreSQL), every message any of them sends first takes a slot from the
database (``flood_take``, the rules of ``bot.delivery.pacing`` for everyone at once: the
global window counted from release to answer, even spacing, one slot of the window left to
replies, per-chat token buckets, per-group windows) and gives it back when the answer came
(``flood_done``). The in-process pacer still runs first, so a worker's own requests queue in
memory and only the head of each queue asks the database.

The database's clock is the one clock: every worker's slots are measured on it.

A private chat's id is a person's Telegram id, so it is not written there: the ledger gets a
keyed hash of it instead (the key derived from the bot token, which every worker has and the
database does not). The per-chat limits only need to tell chats apart; the rows are gone within
minutes anyway, and no row names a person, not even one whose data was erased.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator

from bot.config import DeliverySettings
from bot.delivery.pacing import WINDOW_SLACK
from bot.storage.cluster import FloodLedger, FloodRules

logger = logging.getLogger(__name__)

# A slot whose answer never came back (its worker died mid-request) stops counting after this
# long: longer than any request waits for its answer.
STALE_SECONDS = 30.0


def pseudonym_key(token: str) -> bytes:
    """The key of the private chats' pseudonyms: the same in every worker of one bot."""
    return hashlib.sha256(b"sinau/flood-pseudonyms\0" + token.encode()).digest()


def pseudonym(key: bytes, chat_id: int) -> int:
    """A private chat's stand-in in the ledger: a positive 63-bit keyed hash of its id."""
    digest = hmac.new(key, str(chat_id).encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class SharedLimits:
    """Slots from the database for every message this worker sends."""

    def __init__(self, ledger: FloodLedger, settings: DeliverySettings, *,
                 pseudonyms: bytes | None = None) -> None:
        self._ledger = ledger
        # Private chats are recorded by pseudonym when a key is given (bot.app gives one).
        self._pseudonyms = pseudonyms
        rate = settings.global_per_second * (1 - settings.safety_margin)
        self._rules = FloodRules(
            capacity=max(1, int(settings.global_per_second)),
            window=1.0 + WINDOW_SLACK,
            interval=1.0 / rate,
            chat_rate=settings.chat_per_second,
            burst=float(max(1, settings.chat_burst)),
            group_cap=settings.group_per_minute,
            group_window=60.0 + WINDOW_SLACK,
            stale=STALE_SECONDS,
        )
        # One asker at a time per kind of traffic: replies never queue behind bulk sends.
        self._lines = {True: asyncio.Lock(), False: asyncio.Lock()}
        self._answered: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self.taken = 0
        self.waits = 0

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int | None, *, is_group: bool, bulk: bool,
                   slots: int = 1) -> AsyncIterator[None]:
        """Hold a slot (``slots`` for an album) from release until the answer came back."""
        if chat_id is not None and not is_group and self._pseudonyms is not None:
            chat_id = pseudonym(self._pseudonyms, chat_id)
        ids = await self._take(chat_id, is_group=is_group, bulk=bulk, slots=slots)
        try:
            yield
        finally:
            self._answered.extend(ids)
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _take(self, chat_id: int | None, *, is_group: bool, bulk: bool,
                    slots: int) -> tuple[int, ...]:
        while True:
            async with self._lines[bulk]:
                answer = await self._ledger.take(chat_id, is_group=is_group, bulk=bulk,
                                                 slots=slots, rules=self._rules)
                if answer.reason == "taken":
                    self.taken += 1
                    return answer.slots
                self.waits += 1
                if answer.reason != "chat":
                    # The bot's own limit: wait at the head of the line.
                    await asyncio.sleep(answer.wait)
                    continue
            # This chat's limit: wait out of the line, so sends to other chats go meanwhile.
            await asyncio.sleep(answer.wait)

    async def _flush(self) -> None:
        """Tell the database which answers came back (several at once when they pile up)."""
        while self._answered:
            ids, self._answered = self._answered, []
            try:
                await self._ledger.done(ids)
            except Exception:  # noqa: BLE001 - the slots go stale instead: only slower
                logger.warning("could not return %d send slots", len(ids), exc_info=True)
                return

    async def close(self) -> None:
        """Return the slots still held for answers that came back."""
        if self._flusher is not None:
            await self._flusher
        await self._flush()
