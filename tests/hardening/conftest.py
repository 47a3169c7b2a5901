"""Fixtures for the hardening tests: the end-to-end bot, and a database dump to compare."""

from __future__ import annotations

from typing import Any

from bot.storage.db import Database

__all__ = ["diff_dumps", "dump_database"]

Dump = dict[str, list[tuple[Any, ...]]]

#: Bookkeeping written for every update (who or which chat was seen when): not a change.
VOLATILE = {"users": ("last_seen_at", "is_active", "first_name", "last_name", "username",
                      "telegram_language"),
            "chats": ("updated_at", "title")}


async def dump_database(db: Database) -> Dump:
    """Every row of every table, sorted, without the per-update bookkeeping columns."""
    out: Dump = {}
    for table, columns in sorted((await db.tables()).items()):
        keep = [c for c in columns if c not in VOLATILE.get(table, ())]
        select = ", ".join(f'"{c}"' for c in keep)
        rows = await db.fetch_all(f'SELECT {select} FROM "{table}"')
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def diff_dumps(before: Dump, after: Dump) -> dict[str, tuple[list[Any], list[Any]]]:
    """Tables whose rows changed: (rows gone, rows new)."""
    changed = {}
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            changed[table] = (sorted(old - new, key=repr), sorted(new - old, key=repr))
    return changed
