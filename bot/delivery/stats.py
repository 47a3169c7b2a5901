"""In-memory delivery counters, flushed to ``delivery_stats`` per local day and kind."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.storage.delivery import DeliveryCounters, DeliveryStatsRepository

logger = logging.getLogger(__name__)


class DeliveryStats:
    """Counts sends by kind; totals since start stay in memory, deltas go to the database.

    Counting is synchronous (no database write per message); ``flush`` writes the deltas in one
    transaction, called after each dispatch and at shutdown.
    """

    def __init__(self, repo: DeliveryStatsRepository | None, clock: Clock, zone: ZoneInfo) -> None:
        self._repo = repo
        self._clock = clock
        self._zone = zone
        self.totals: dict[str, DeliveryCounters] = {}
        self._pending: dict[tuple[str, str], DeliveryCounters] = {}

    def count(self, kind: str, **deltas: int) -> None:
        """Add ``deltas`` (sent=1, blocked=1, ...) to the counters of ``kind``."""
        delta = DeliveryCounters(**deltas)
        self.totals.setdefault(kind, DeliveryCounters()).add(delta)
        day = self._clock.now().astimezone(self._zone).date().isoformat()
        self._pending.setdefault((day, kind), DeliveryCounters()).add(delta)

    def of(self, kind: str) -> DeliveryCounters:
        """The totals of ``kind`` since this process started."""
        return self.totals.get(kind, DeliveryCounters())

    async def flush(self) -> None:
        """Write the counted deltas to the database (kept for the next flush on failure)."""
        if self._repo is None or not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            await self._repo.add(
                (day, kind, c) for (day, kind), c in pending.items() if not c.is_zero()
            )
        except Exception:
            for key, counters in pending.items():
                self._pending.setdefault(key, DeliveryCounters()).add(counters)
            raise
