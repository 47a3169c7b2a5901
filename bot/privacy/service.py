"""Export everything stored about a person, erase it, and purge the long inactive.

Erasure keeps only anonymous totals (answers and right answers per question, completions and
minutes per lesson, certificates per course, erasures per month). Certificates are deleted:
their codes stop verifying ("not found"), which the learner is told before confirming.
Staff (a trainer role, or an admin id from the settings) are not purged for inactivity; once
their role is revoked the retention rule applies to them as to everyone.

An erasure stays erased: it leaves a tombstone, HMAC-SHA256 of the Telegram id under a random
key kept in the database (``privacy_key``), with the day and the reason. Given an id, the bot
can tell whether it was erased, and so refuse to record that person again until they /start
and accept the privacy notice (``start_afresh`` removes the tombstone); from the tombstones
alone no id can be listed. That much is kept because honouring the erasure needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.clock import Clock
from bot.privacy import registry
from bot.storage.db import from_epoch
from bot.storage.privacy import ColumnAction, PrivacyRepository

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "sinau-mydata/1"
PURGE_BATCH = 200
# Epoch-second columns shown as ISO 8601 in the export (besides every `*_at`).
_EPOCH_COLUMNS = frozenset({"paused_until"})
# Updates from erased people whose shared-inbox rows should go at once (bounded: in polling
# mode nobody takes the marks back).
_FORGET_LIMIT = 1000


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` minus whole calendar months (the day clamped to the month's length)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    next_first = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_first - date(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _readable(column: str, value: Any) -> Any:
    if isinstance(value, int) and (column.endswith("_at") or column in _EPOCH_COLUMNS):
        moment = from_epoch(value)
        return moment.isoformat() if moment else None
    if isinstance(value, bytes):
        return value.hex()
    return value


class PrivacyService:
    """A person's data: what the export holds, erasure, and the retention purge."""

    def __init__(self, repo: PrivacyRepository, clock: Clock, *, retention_months: int,
                 staff_ids: Sequence[int] = ()) -> None:
        self.repo = repo
        self._clock = clock
        self._months = retention_months
        self._staff = tuple(staff_ids)
        self._key: bytes | None = None
        self._forget: OrderedDict[int, None] = OrderedDict()

    async def _plan(self) -> list[registry.PersonalColumn]:
        schema = await self.repo.schema()
        missing = registry.unclassified(schema)
        if missing:
            logger.warning("privacy: columns without a privacy decision: %s", missing)
        return registry.plan(schema)

    async def export(self, person_id: int) -> dict[str, Any]:
        """Every stored row about ``person_id``, table by table (times in ISO 8601 UTC)."""
        by_table: dict[str, list[str]] = {}
        for column in await self._plan():
            by_table.setdefault(column.table, []).append(column.column)
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in sorted(by_table):
            rows = await self.repo.rows_about(table, by_table[table], person_id)
            tables[table] = [{k: _readable(k, v) for k, v in row.items()} for row in rows]
        return {
            "format": EXPORT_FORMAT,
            "user_id": person_id,
            "generated_at": self._clock.now().astimezone(UTC).isoformat(),
            "retention_months": self._months,
            "tables": tables,
        }

    async def export_json(self, person_id: int) -> bytes:
        """The export as an indented UTF-8 JSON document."""
        data = await self.export(person_id)
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")

    async def erase(self, person_id: int, *, reason: str = "request") -> bool:
        """Erase ``person_id`` (anonymous totals kept) and leave their tombstone, so they are
        not recorded again until they start afresh; False if nothing was stored."""
        steps = [ColumnAction(c.table, c.column, c.erase.value) for c in await self._plan()]
        erased = await self.repo.erase(person_id, steps, reason=reason, now=self._clock.now(),
                                       tombstone=await self._hash(person_id))
        if erased:
            logger.info("privacy: a person was erased (%s)", reason)
        return erased

    async def _hash(self, person_id: int) -> str:
        """The tombstone of ``person_id``: HMAC-SHA256 under the database's key, in hex."""
        if self._key is None:
            stored = await self.repo.hash_key(secrets.token_hex(32))
            self._key = bytes.fromhex(stored)
        return hmac.new(self._key, str(person_id).encode("ascii"), hashlib.sha256).hexdigest()

    async def is_erased(self, person_id: int) -> bool:
        """True if ``person_id`` was erased and has not started again (one indexed lookup).

        Callers ask only for someone without a ``users`` row, so a known person costs nothing.
        """
        return await self.repo.has_tombstone(await self._hash(person_id))

    async def start_afresh(self, person_id: int) -> bool:
        """The person accepted the privacy notice again: they may be recorded from now on.

        Removes their tombstone; False if there was none.
        """
        removed = await self.repo.remove_tombstone(await self._hash(person_id))
        if removed:
            logger.info("privacy: an erased person started again")
        return removed

    def forget_update(self, update_id: int) -> None:
        """Mark an update from an erased person: its shared-inbox row goes once handled."""
        self._forget[update_id] = None
        while len(self._forget) > _FORGET_LIMIT:
            self._forget.popitem(last=False)

    def forgotten(self, update_id: int) -> bool:
        """True (once) if ``update_id`` was marked by ``forget_update``."""
        return self._forget.pop(update_id, False) is None

    def retention_cutoff(self) -> datetime:
        """People not seen since this moment are purged."""
        return months_before(self._clock.now(), self._months)

    async def purge_inactive(self) -> int:
        """Erase every learner inactive for longer than the retention period; how many."""
        cutoff = self.retention_cutoff()
        purged = 0
        while True:
            batch = await self.repo.inactive_since(cutoff, keep=self._staff, limit=PURGE_BATCH)
            if not batch:
                break
            for person_id in batch:
                purged += await self.erase(person_id, reason="retention")
        if purged:
            logger.info("privacy: retention purged %d inactive learner(s)", purged)
        return purged
