"""The embedded engine: one SQLite file, one writer connection and one reader (WAL).

Every write goes through the single writer connection under one lock; a unit of work holds
the lock from its first statement to its COMMIT, so SQLite's one-writer rule is kept inside
the process, and ``BEGIN IMMEDIATE`` keeps it against other processes (a backup, a migrate).
Reads outside a unit of work use the reader connection, which in WAL mode sees every committed
write and never waits for the writer.

aiosqlite runs each call on the connection's own thread; a batch (BEGIN, the waiting writes,
the statement that needs an answer, COMMIT) runs there as one function, so it costs one hop
instead of one per statement.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.db import (
    Conflict,
    Database,
    Migration,
    MigrationError,
    Outcome,
    Row,
    Statement,
    _Tx,
    columns_by_table,
    parents_by_table,
    parse_migrations,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def bundled_migrations() -> list[Migration]:
    """The SQLite migrations shipped in ``bot/storage/migrations/sqlite``, in order."""
    folder = resources.files("bot.storage.migrations").joinpath("sqlite")
    return parse_migrations((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir())


def _run_batch(conn: sqlite3.Connection, statements: list[Statement], begin: bool,
               commit: bool) -> list[Outcome]:
    """On the connection's thread: the whole batch, rolled back entirely if a part fails."""
    began = False
    try:
        if begin:
            conn.execute("BEGIN IMMEDIATE")
            began = True
        outcomes = []
        for statement in statements:
            if statement.many:
                cursor = conn.executemany(statement.sql, statement.params)
                outcomes.append(Outcome([], cursor.rowcount))
            else:
                cursor = conn.execute(statement.sql, statement.params)
                outcomes.append(Outcome(cursor.fetchall(), cursor.rowcount))
            cursor.close()
        if commit:
            conn.execute("COMMIT")
        return outcomes
    except BaseException:
        if began or conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SqliteDatabase(Database):
    """An SQLite file opened for one writer and concurrent readers (WAL)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        """Open both connections and set the PRAGMAs."""
        memory = str(self.path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        # ":memory:" databases are per connection, so there the writer also reads.
        self._reader = self._writer if memory else await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
        return conn

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None and reader is not writer:
            await reader.close()
        if writer is not None:
            async with self._write_lock:
                await writer.close()

    def _conn(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("database is not open")
        return conn

    async def _on_thread(self, conn: aiosqlite.Connection,
                         fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the sqlite3 connection on its own thread: one hop.

        ``Connection._execute`` is how each of aiosqlite's public methods reaches its thread;
        it is the one place Sinau uses it (aiosqlite is pinned in pyproject.toml).
        """
        self._hop()
        raw = conn._conn
        try:
            return await conn._execute(fn, raw)
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc

    # ------------------------------------------------------------------ engine hooks
    async def _autocommit(self, statement: Statement, *, read: bool) -> Outcome:
        if read:
            conn = self._conn(self._reader)
            outcomes = await self._on_thread(
                conn, lambda raw: _run_batch(raw, [statement], False, False))
            return outcomes[0]
        async with self._write_lock:
            conn = self._conn(self._writer)
            # A single statement (its triggers included) is atomic by itself; executemany
            # needs a transaction around its rows.
            outcomes = await self._on_thread(
                conn, lambda raw: _run_batch(raw, [statement], statement.many, statement.many))
        return outcomes[0]

    async def _flush(self, tx: _Tx, statements: list[Statement], *, commit: bool) -> None:
        if not tx.begun:
            await self._write_lock.acquire()
        begin = not tx.begun
        tx.begun = True
        conn = self._conn(self._writer)
        try:
            outcomes = await self._on_thread(
                conn, lambda raw: _run_batch(raw, statements, begin, commit))
        except BaseException:
            # _run_batch rolled back; the transaction is over.
            tx.begun, tx.aborted = False, True
            self._write_lock.release()
            raise
        if commit:
            tx.begun = False
            self._write_lock.release()
        for statement, outcome in zip(statements, outcomes, strict=True):
            if statement.on_result is not None:
                statement.on_result(outcome)

    async def _rollback(self, tx: _Tx) -> None:
        try:
            conn = self._conn(self._writer)
            self._hop()
            await conn.execute("ROLLBACK")
        finally:
            tx.begun = False
            self._write_lock.release()

    async def _release(self, tx: _Tx) -> None:
        """Nothing is held before the first statement."""

    # ------------------------------------------------------------------ schema
    def latest_version(self) -> int:
        """The newest bundled SQLite migration."""
        return max((m.version for m in bundled_migrations()), default=0)

    async def schema_version(self) -> int:
        """``PRAGMA user_version``: the last migration applied."""
        value = await self.fetch_value("PRAGMA user_version")
        return int(value or 0)

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply every migration above the file's version, each in its own transaction."""
        pending = bundled_migrations() if migrations is None else migrations
        current = await self.schema_version()
        latest = max((m.version for m in pending), default=0)
        if current > latest:
            raise MigrationError(
                f"database schema version {current} is newer than this Sinau ({latest})"
            )
        async with self._write_lock:
            conn = self._conn(self._writer)
            for migration in pending:
                if migration.version <= current:
                    continue
                logger.info("applying migration %03d_%s", migration.version, migration.name)
                # executescript runs the whole file inside our explicit transaction, so a
                # failure anywhere rolls back the schema change and the version bump together.
                script = (
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                    f"PRAGMA user_version = {int(migration.version)};\nCOMMIT;"
                )
                try:
                    await conn.executescript(script)
                except Exception as exc:
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK")
                    raise MigrationError(
                        f"migration {migration.version:03d}_{migration.name} failed: {exc}"
                    ) from exc
                current = migration.version
        return current

    async def tables(self) -> dict[str, list[str]]:
        """Every table and its columns, from SQLite's own catalogue."""
        rows = await self.fetch_all(
            "SELECT m.name AS tbl, p.name AS col FROM sqlite_master m"
            " JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
            " AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        )
        return columns_by_table(rows)

    async def references(self) -> dict[str, set[str]]:
        """Foreign keys from SQLite's catalogue."""
        rows = await self.fetch_all(
            "SELECT m.name AS tbl, f.\"table\" AS parent FROM sqlite_master m"
            " JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'")
        return parents_by_table(rows)

    async def pages(self, table: str, columns: list[str],
                    size: int) -> AsyncIterator[list[Row]]:
        """Every row of ``table``, ``size`` at a time, in primary key order (rowid order for a
        table without one): for ``sinau db copy``."""
        keys = [r["name"] for r in await self.fetch_all(
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,))]
        names = ", ".join(f'"{c}"' for c in columns)
        if keys:
            key = ", ".join(f'"{k}"' for k in keys)
            picked = ", ".join(f'"{k}" AS "__k{i}"' for i, k in enumerate(keys))
        else:
            key, picked, keys = "rowid", 'rowid AS "__k0"', ["rowid"]
        marks = ", ".join("?" for _ in keys)
        last: tuple[Any, ...] | None = None
        while True:
            where = "" if last is None else f"WHERE ({key}) > ({marks})"
            rows = await self.fetch_all(
                f'SELECT {picked}, {names} FROM "{table}" {where}'  # noqa: S608
                f" ORDER BY {key} LIMIT ?", ((size,) if last is None else (*last, size)))
            if not rows:
                return
            last = tuple(rows[-1][f"__k{i}"] for i in range(len(keys)))
            yield rows

    # ------------------------------------------------------------------ operations
    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: 'ok' when the file is sound."""
        return str(await self.fetch_value("PRAGMA integrity_check"))

    async def integrity_problems(self) -> list[str]:
        """``integrity_check`` and ``foreign_key_check`` findings."""
        problems = [str(r[0]) for r in await self.fetch_all("PRAGMA integrity_check")
                    if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}"
                     for r in await self.fetch_all("PRAGMA foreign_key_check")]
        return problems

    async def query_plan(self, sql: str, params: Any = ()) -> str:
        """``EXPLAIN QUERY PLAN``, its details joined."""
        rows = await self.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row["detail"]) for row in rows)

    async def backup_to(self, target: Path) -> None:
        """An online copy of the database into ``target`` (SQLite's backup API)."""
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self._conn(self._writer).backup(dest)
            finally:
                await dest.close()

    async def checkpoint(self) -> None:
        """Fold the write-ahead log back into the file (before copying it elsewhere)."""
        await self.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def connection_info(self) -> dict[str, Any]:
        """For health checks: the engine and the file."""
        return {"engine": "sqlite", "path": str(self.path)}
