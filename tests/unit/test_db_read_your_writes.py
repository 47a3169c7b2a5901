"""One call per statement: reads see every write committed before them, writes commit alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import Conflict, Database


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


async def test_single_statement_writes_commit_on_their_own(db: Database) -> None:
    await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    assert await db.execute("INSERT INTO items (name) VALUES ('a'), ('b')") == 2
    rows = await db.returning(
        "INSERT INTO items (name) VALUES (?) RETURNING id, name", ("c",)
    )
    assert [(r["id"], r["name"]) for r in rows] == [(3, "c")]
    # A RETURNING statement given to execute() is read to its end and committed too.
    assert await db.execute("UPDATE items SET name = name || '!' RETURNING id") == 3
    assert await db.fetch_value("SELECT group_concat(name, ',') FROM items") == "a!,b!,c!"
    # A failing statement changes nothing and leaves no transaction open behind it.
    with pytest.raises(Conflict):
        await db.execute("INSERT INTO items (name) VALUES ('d'), ('a!')")
    assert await db.fetch_value("SELECT COUNT(*) FROM items") == 3
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO items (name) VALUES ('e')")
    assert await db.fetch_value("SELECT COUNT(*) FROM items") == 4
