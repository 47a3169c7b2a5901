"""Delivery counters per local day and kind of traffic (sent, skipped, blocked, ...)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.db import Database

_UPSERT = """
INSERT INTO delivery_stats (day, kind, sent, skipped, blocked, retried, failed, uncertain)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, kind) DO UPDATE SET
    sent = delivery_stats.sent + excluded.sent,
    skipped = delivery_stats.skipped + excluded.skipped,
    blocked = delivery_stats.blocked + excluded.blocked,
    retried = delivery_stats.retried + excluded.retried,
    failed = delivery_stats.failed + excluded.failed,
    uncertain = delivery_stats.uncertain + excluded.uncertain
"""


@dataclass
class DeliveryCounters:
    """Running totals of one kind of traffic."""

    sent: int = 0
    skipped: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0

    def add(self, other: DeliveryCounters) -> None:
        """Add ``other`` into these totals."""
        for name in _COUNTER_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def is_zero(self) -> bool:
        """True when nothing was counted."""
        return not any(getattr(self, name) for name in _COUNTER_FIELDS)

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return {name: getattr(self, name) for name in _COUNTER_FIELDS}


_COUNTER_FIELDS = ("sent", "skipped", "blocked", "retried", "failed", "uncertain")


class DeliveryStatsRepository:
    """Reads and adds to ``delivery_stats``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, rows: Iterable[tuple[str, str, DeliveryCounters]]) -> None:
        """Add counters to the (day, kind) totals in one transaction."""
        params = [
            (day, kind, c.sent, c.skipped, c.blocked, c.retried, c.failed, c.uncertain)
            for day, kind, c in rows
        ]
        if params:
            await self._db.execute_many(_UPSERT, params)

    async def for_day(self, day: str) -> dict[str, DeliveryCounters]:
        """The counters of one local day ('YYYY-MM-DD'), by kind."""
        rows = await self._db.fetch_all(
            "SELECT kind, sent, skipped, blocked, retried, failed, uncertain"
            " FROM delivery_stats WHERE day = ?",
            (day,),
        )
        return {row["kind"]: _counters(row) for row in rows}

    async def totals(self, kind: str, first_day: str, last_day: str) -> DeliveryCounters:
        """The sum for one kind over the days first_day..last_day (inclusive)."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(skipped), 0) AS skipped,"
            " COALESCE(SUM(blocked), 0) AS blocked, COALESCE(SUM(retried), 0) AS retried,"
            " COALESCE(SUM(failed), 0) AS failed, COALESCE(SUM(uncertain), 0) AS uncertain"
            " FROM delivery_stats WHERE kind = ? AND day BETWEEN ? AND ?",
            (kind, first_day, last_day),
        )
        return DeliveryCounters() if row is None else _counters(row)


def _counters(row: object) -> DeliveryCounters:
    return DeliveryCounters(
        sent=row["sent"],  # type: ignore[index]
        skipped=row["skipped"],  # type: ignore[index]
        blocked=row["blocked"],  # type: ignore[index]
        retried=row["retried"],  # type: ignore[index]
        failed=row["failed"],  # type: ignore[index]
        uncertain=row["uncertain"],  # type: ignore[index]
    )
