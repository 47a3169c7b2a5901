"""``sinau db copy SRC DST``: an SQLite database copied into PostgreSQL.

The source must be at the schema version this Sinau ships (run ``sinau migrate`` on it
first); the target is migrated to that version here and must hold no rows yet. Tables are
copied parents first (foreign keys), each table's rows in the order they were written, ids
included, all in ONE transaction of the target: a copy that fails leaves the target empty, so
it can simply be run again. The target's triggers are off while it runs (the rows they would
derive, such as a learner's nudge schedule, are copied too); identity sequences then move
past the largest id copied, and the rows of every table are counted on both sides: any
difference is an error.

Tables only one engine has (PostgreSQL's shared inbox and rate-limit ledger, its migrations
record) are not copied: they hold nothing that outlives a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.db import StorageError
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SqliteDatabase

PAGE = 5000


class CopyError(StorageError):
    """The copy cannot start, or its counts do not match."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's rows on both sides after the copy."""

    table: str
    source: int
    target: int


def parents_first(tables: list[str], references: dict[str, set[str]]) -> list[str]:
    """``tables`` ordered so a table comes after every table it references."""
    ordered: list[str] = []
    placed: set[str] = set()

    def place(table: str, path: tuple[str, ...]) -> None:
        if table in placed:
            return
        if table in path:
            raise CopyError(f"foreign keys form a cycle: {' -> '.join((*path, table))}")
        for parent in sorted(references.get(table, set())):
            if parent in tables:
                place(parent, (*path, table))
        placed.add(table)
        ordered.append(table)

    for table in sorted(tables):
        place(table, ())
    return ordered


async def copy_database(source: SqliteDatabase, target: PostgresDatabase,
                        progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of ``source`` into the empty ``target``; the counts per table."""
    version, latest = await source.schema_version(), source.latest_version()
    if version != latest:
        raise CopyError(f"the source is at schema version {version}, this Sinau ships "
                        f"{latest}: run `sinau migrate` on it first")
    await target.migrate()
    theirs, ours = await target.tables(), await source.tables()
    common = [t for t in ours if t in theirs]
    for table in common:
        if ours[table] != theirs[table]:
            raise CopyError(f"table {table} differs: {ours[table]} / {theirs[table]}")
    for table in common:
        if await target.fetch_value(f'SELECT COUNT(*) FROM "{table}"'):  # noqa: S608
            raise CopyError(f"the target is not empty (table {table} has rows); "
                            "copy into a new database")
    order = parents_first(common, await source.references())
    async with target.transaction():
        await target.set_triggers(order, enabled=False)
        for table in order:
            columns = ours[table]
            copied = 0
            async for page in source.pages(table, columns, PAGE):
                await target.copy_in(table, columns, [tuple(row[c] for c in columns)
                                                      for row in page])
                copied += len(page)
            if progress is not None:
                progress(table, copied)
        await target.set_triggers(order, enabled=True)
        await target.reset_identities()
    counts = []
    for table in order:
        counts.append(TableCopy(
            table,
            int(await source.fetch_value(f'SELECT COUNT(*) FROM "{table}"')),  # noqa: S608
            int(await target.fetch_value(f'SELECT COUNT(*) FROM "{table}"'))))  # noqa: S608
    wrong = [c for c in counts if c.source != c.target]
    if wrong:
        raise CopyError("row counts differ: " + ", ".join(
            f"{c.table} {c.source} → {c.target}" for c in wrong))
    return counts
