"""Reads on the shared reader connection see every write committed before them."""

from __future__ import annotations

import asyncio

from bot.storage import Database


async def test_a_read_after_a_commit_sees_it_while_other_reads_run(db: Database) -> None:
    await db.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER)")
    await db.execute_many("INSERT INTO counters VALUES (?, 0)", [(i,) for i in range(40)])
    done = False

    async def busy_reader() -> None:
        """Keep the reader connection busy with multi-row reads, as concurrent handlers do."""
        while not done:
            await db.fetch_all("SELECT * FROM counters")

    async def write_then_read(row: int) -> list[tuple[int, int]]:
        stale = []
        for value in range(1, 60):
            await db.execute("UPDATE counters SET value = ? WHERE id = ?", (value, row))
            seen = await db.fetch_value("SELECT value FROM counters WHERE id = ?", (row,))
            if seen != value:
                stale.append((value, seen))
        return stale

    readers = [asyncio.create_task(busy_reader()) for _ in range(4)]
    try:
        results = await asyncio.gather(*(write_then_read(row) for row in range(6)))
    finally:
        done = True
        await asyncio.gather(*readers)
    assert [s for s in results if s] == []
