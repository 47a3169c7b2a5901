"""The database: one writer connection, one reader connection, numbered SQL migrations."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)

Params = Sequence[Any] | dict[str, Any]


class MigrationError(Exception):
    """A migration failed; the database stays at the version it had before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL script."""

    version: int
    name: str
    sql: str


def to_epoch(moment: datetime) -> int:
    """Seconds since the epoch for an aware datetime (what the tables store)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp())


def from_epoch(seconds: int | None) -> datetime | None:
    """The aware UTC datetime for a stored epoch value (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/storage/migrations``, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


class Database:
    """An SQLite file opened for one writer and concurrent readers (WAL)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open both connections and set the PRAGMAs."""
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        # ":memory:" databases are per connection, so there the writer also reads.
        self._reader = self._writer if str(self.path) == ":memory:" else await self._connect()

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

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _conn(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("database is not open")
        return conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE) on the single writer connection."""
        async with self._write_lock:
            conn = self._conn(self._writer)
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; return the rows changed.

        SQLite makes a single statement (its triggers included) atomic by itself, so it runs
        in one call on the writer's thread instead of BEGIN, statement, COMMIT: three thread
        round trips, each a wait for the GIL under load, become one.
        """
        if _RETURNING.search(sql):
            # A RETURNING statement would stay open (its transaction with it) until its rows
            # are read: write_returning reads them.
            return len(await self.write_returning(sql, params))
        async with self._write_lock:
            cursor = await self._conn(self._writer).execute(sql, params)
            return cursor.rowcount

    async def write_returning(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run one write statement with a RETURNING clause in its own transaction; its rows."""
        async with self._write_lock:
            return list(await self._conn(self._writer).execute_fetchall(sql, params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """The first row of a read query, from the reader connection."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """All rows of a read query, from the reader connection.

        The query runs to its end in one call on the connection's thread. With a cursor
        (execute, fetch, close as separate calls) concurrent reads interleave, some statement
        is always open, and the reader's snapshot stays open with it: a handler would not
        see the write it has just committed.
        """
        return list(await self._conn(self._reader).execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def user_version(self) -> int:
        """The schema version recorded in the file."""
        cursor = await self._conn(self._writer).execute("PRAGMA user_version")
        row = await cursor.fetchone()
        await cursor.close()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply every migration above the file's version, each in its own transaction."""
        pending = bundled_migrations() if migrations is None else migrations
        current = await self.user_version()
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

    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: 'ok' when the file is sound."""
        return str(await self.fetch_value("PRAGMA integrity_check"))

    async def backup_to(self, target: Path) -> None:
        """An online copy of the database into ``target`` (SQLite's backup API)."""
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self._conn(self._writer).backup(dest)
            finally:
                await dest.close()
