"""The shared engine: PostgreSQL through psycopg 3, a pool of connections, pipelined units of work.

Several Sinau workers can share one PostgreSQL database. Statements outside a unit of work run
in autocommit mode on a connection borrowed from the pool for that one statement. A unit of
work borrows a connection at its first exchange and keeps it until COMMIT; every batch it
sends (BEGIN, the waiting writes, the statement that needs an answer, and COMMIT at the end)
goes in psycopg's pipeline mode, so a batch is one network round trip however many statements
it holds.

Repositories write ``?`` and ``:name`` placeholders (the SQLite style); ``translate`` turns
them into psycopg's ``%s`` and ``%(name)s`` once per distinct SQL text. Values come back as
SQLite gives them to the rest of Sinau: integers as ``int`` (also sums, which PostgreSQL
types as numeric), flags stored as 0/1 integers, rows readable by column name and position.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.types.numeric import Int8Dumper
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import AsyncConnectionPool

from bot.storage.db import (
    Conflict,
    Database,
    Dialect,
    Migration,
    MigrationError,
    Outcome,
    Statement,
    StorageError,
    _Tx,
    columns_by_table,
    parents_by_table,
    parse_migrations,
)

logger = logging.getLogger(__name__)

# Advisory lock keys of Sinau's own (chat ids, also used as lock keys, are far below 2**53).
LOCK_BASE = 0x53494E41550000  # "SINAU" << 16
MIGRATION_LOCK = LOCK_BASE + 1

_MIGRATIONS_TABLE = "schema_migrations"


def bundled_migrations() -> list[Migration]:
    """The PostgreSQL migrations shipped in ``bot/storage/migrations/postgresql``, in order."""
    folder = resources.files("bot.storage.migrations").joinpath("postgresql")
    return parse_migrations((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir())


# ---------------------------------------------------------------------------- placeholders
_TOKENS = re.compile(
    r"""
      (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*")   # string literals and quoted identifiers
    | (?P<comment>--[^\n]*|/\*.*?\*/)             # comments
    | (?P<cast>::)                                 # a cast, not a named parameter
    | (?P<named>:[A-Za-z_][A-Za-z0-9_]*)           # :name
    | (?P<positional>\?)                           # ?
    | (?P<percent>%)                               # a literal percent sign
    """,
    re.VERBOSE | re.DOTALL,
)

_translated: dict[str, str] = {}


def translate(sql: str) -> str:
    """``sql`` with ``?`` as ``%s``, ``:name`` as ``%(name)s`` and ``%`` as ``%%``.

    Placeholders inside string literals, quoted identifiers and comments are left alone; a
    ``%`` is doubled everywhere, because psycopg reads placeholders in the whole text.
    """
    cached = _translated.get(sql)
    if cached is not None:
        return cached

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        text = match.group()
        if kind == "named":
            return f"%({text[1:]})s"
        if kind == "positional":
            return "%s"
        if kind == "percent":
            return "%%"
        if kind in ("quoted", "comment"):
            return text.replace("%", "%%")
        return text

    result = _TOKENS.sub(replace, sql)
    if len(_translated) < 10_000:
        _translated[sql] = result
    return result


# ---------------------------------------------------------------------------- rows and types
class PgRow:
    """A result row read by column name or position (what ``sqlite3.Row`` offers)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    index = {column.name: i for i, column in enumerate(description)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(index, values)

    return make


class _NumericLoader(Loader):
    """numeric as int when whole (SUM of integers), else float: never a Decimal."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if any(mark in text for mark in ".eEN"):  # a fraction, an exponent, NaN/Infinity
            return float(text)
        return int(text)


class _BoolAsIntDumper(Int8Dumper):
    """True/False as 1/0: flags are integer columns, as in SQLite."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NulSafeStrDumper(StrDumperUnknown):
    """Text with NUL characters replaced: PostgreSQL text cannot hold them, SQLite's can.

    Telegram text never needs a NUL; a hostile update that carries one is stored with U+FFFD
    in its place instead of failing the whole update.
    """

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


class PostgresDialect(Dialect):
    """PostgreSQL's spelling of the SQL that differs between engines."""

    name = "postgresql"

    def greatest(self, *exprs: str) -> str:
        """GREATEST (the operands here are never NULL, where SQLite's MAX would differ)."""
        return f"GREATEST({', '.join(exprs)})"

    def least(self, *exprs: str) -> str:
        """LEAST."""
        return f"LEAST({', '.join(exprs)})"

    def text_agg(self, expr: str, separator: str) -> str:
        """string_agg over the text of ``expr``."""
        return f"string_agg(CAST({expr} AS TEXT), '{separator}')"

    def in_list(self, column: str) -> str:
        """``column = ANY(array parameter)``."""
        return f"{column} = ANY(?)"

    def days_between(self, later: str, earlier: str) -> str:
        """Date subtraction gives whole days."""
        return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"

    def nocase(self, expr: str) -> str:
        """Lower case, compared byte-wise like SQLite's NOCASE."""
        return f'lower({expr}) COLLATE "C"'

    def is_distinct(self, left: str, right: str) -> str:
        """IS DISTINCT FROM."""
        return f"{left} IS DISTINCT FROM {right}"

    def skip_locked(self) -> str:
        """Rows another worker has claimed are passed over instead of waited for."""
        return " FOR UPDATE SKIP LOCKED"


def redact(url: str) -> str:
    """``url`` without its password, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}:***@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _storage_error(exc: psycopg.Error) -> StorageError:
    if isinstance(exc, pg_errors.IntegrityError):
        return Conflict(str(exc).strip())
    return StorageError(f"{type(exc).__name__}: {str(exc).strip()}")


# ---------------------------------------------------------------------------- a session
class Session:
    """A connection of one worker's own, outside the pool, for as long as the worker runs.

    Session-level advisory locks (the leader's, a chat's) belong to a connection: they are
    held until released or until the connection ends, which PostgreSQL notices at once when
    the worker's process dies. Statements here run in autocommit mode; ``batch`` sends several
    in one pipeline (one round trip), each seeing what the ones before it did.

    Many tasks of the worker use the one connection (every chat it handles takes and releases
    its lock here), so exchanges take turns: psycopg would let a second task join a pipeline
    another task has open, and the two would read each other's results.
    """

    def __init__(self, db: PostgresDatabase, conn: psycopg.AsyncConnection[Any]) -> None:
        self._db = db
        self._conn = conn
        self._turn = asyncio.Lock()

    @property
    def closed(self) -> bool:
        """True once the connection is gone (closed, or broken)."""
        return self._conn.closed or self._conn.broken

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """All rows of one statement."""
        return (await self.batch([(sql, params)]))[0]

    async def fetch_value(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0][0] if rows else None

    async def batch(self, statements: Sequence[tuple[str, Sequence[Any] | dict[str, Any]]]
                    ) -> list[list[Any]]:
        """Several statements in one round trip; the rows of each."""
        self._db._hop()
        conn = self._conn
        async with self._turn:
            try:
                cursors = []
                async with conn.pipeline():
                    for sql, params in statements:
                        cursor = conn.cursor()
                        await cursor.execute(translate(sql), params)
                        cursors.append(cursor)
                return [await c.fetchall() if c.description is not None else []
                        for c in cursors]
            except psycopg.Error as exc:
                raise _storage_error(exc) from exc

    async def close(self) -> None:
        """End the session (every lock it holds is released)."""
        await self._conn.close()


# ---------------------------------------------------------------------------- the engine
class PostgresDatabase(Database):
    """A PostgreSQL database reached through a pool of psycopg connections."""

    dialect: Dialect = PostgresDialect()

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10,
                 application_name: str = "sinau") -> None:
        super().__init__()
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.application_name = application_name
        self._pool: AsyncConnectionPool | None = None

    def describe(self) -> str:
        """The URL without its password."""
        return redact(self.url)

    def list_param(self, values: Sequence[Any]) -> Any:
        """A Python list: psycopg sends it as an array."""
        return list(values)

    # ------------------------------------------------------------------ lifecycle
    @staticmethod
    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        """Types and rows as the repositories expect them (every new connection)."""
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.adapters.register_dumper(bool, _BoolAsIntDumper)
        conn.adapters.register_dumper(str, _NulSafeStrDumper)
        conn.row_factory = _row_factory

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        """One connection of its own, outside the pool (locks held for a session)."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, application_name=self.application_name,
                connect_timeout=10)
        except psycopg.Error as exc:
            raise StorageError(f"cannot connect to {self.describe()}: {exc}") from None
        await self.configure(conn)
        return conn

    async def session(self) -> Session:
        """A connection of the caller's own (see ``Session``)."""
        return Session(self, await self.connect())

    async def open(self) -> None:
        """Open the pool and wait for its first connection (a clear error if none comes)."""
        # One connection first: a wrong address or password fails at once, with the server's
        # own words, instead of after the pool's retries.
        await (await self.connect()).close()
        pool: AsyncConnectionPool = AsyncConnectionPool(
            self.url, min_size=self.min_size, max_size=self.max_size, open=False,
            kwargs={"autocommit": True, "application_name": self.application_name},
            configure=self.configure, name="sinau", timeout=30,
        )
        try:
            await pool.open(wait=True, timeout=15)
        except psycopg.Error as exc:
            await pool.close()
            raise StorageError(f"cannot connect to {self.describe()}: {exc}") from None
        except Exception as exc:  # psycopg_pool.PoolTimeout: nothing answered
            await pool.close()
            raise StorageError(f"cannot connect to {self.describe()}: {exc}") from None
        self._pool = pool

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _the_pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    # ------------------------------------------------------------------ engine hooks
    async def _autocommit(self, statement: Statement, *, read: bool) -> Outcome:
        async with self._the_pool().connection() as conn:
            self._hop()
            try:
                if statement.many:
                    async with conn.transaction():
                        cursor = conn.cursor()
                        await cursor.executemany(translate(statement.sql), statement.params)
                        return Outcome([], cursor.rowcount)
                cursor = await conn.execute(translate(statement.sql), statement.params)
                rows = await cursor.fetchall() if cursor.description is not None else []
                return Outcome(rows, cursor.rowcount)
            except psycopg.Error as exc:
                raise _storage_error(exc) from exc

    async def _flush(self, tx: _Tx, statements: list[Statement], *, commit: bool) -> None:
        pool = self._the_pool()
        if tx.handle is None:
            tx.handle = await pool.getconn()
        conn: psycopg.AsyncConnection[Any] = tx.handle
        begin = not tx.begun
        tx.begun = True
        cursors: list[psycopg.AsyncCursor[Any]] = []
        self._hop()
        try:
            async with conn.pipeline():
                if begin:
                    await conn.execute("BEGIN")
                for statement in statements:
                    cursor = conn.cursor()
                    if statement.many:
                        await cursor.executemany(translate(statement.sql), statement.params)
                    else:
                        await cursor.execute(translate(statement.sql), statement.params)
                    cursors.append(cursor)
                if commit:
                    await conn.execute("COMMIT")
            outcomes = []
            for statement, cursor in zip(statements, cursors, strict=True):
                rows = (await cursor.fetchall()
                        if not statement.many and cursor.description is not None else [])
                outcomes.append(Outcome(rows, cursor.rowcount))
        except BaseException as exc:
            tx.begun, tx.aborted = False, True
            await self._give_back(tx, rollback=True)
            if isinstance(exc, psycopg.Error):
                raise _storage_error(exc) from exc
            raise
        if commit:
            tx.begun = False
            await self._give_back(tx, rollback=False)
        for statement, outcome in zip(statements, outcomes, strict=True):
            if statement.on_result is not None:
                statement.on_result(outcome)

    async def _give_back(self, tx: _Tx, *, rollback: bool) -> None:
        """Return the unit's connection to the pool (rolled back first when asked)."""
        conn, tx.handle = tx.handle, None
        if conn is None:
            return
        if rollback and not conn.closed:
            try:
                self._hop()
                await conn.execute("ROLLBACK")
            except psycopg.Error:
                pass  # a broken connection: the pool discards it
        await self._the_pool().putconn(conn)

    async def _rollback(self, tx: _Tx) -> None:
        tx.begun = False
        await self._give_back(tx, rollback=True)

    async def _release(self, tx: _Tx) -> None:
        await self._give_back(tx, rollback=False)

    # ------------------------------------------------------------------ schema
    def latest_version(self) -> int:
        """The newest bundled PostgreSQL migration."""
        return max((m.version for m in bundled_migrations()), default=0)

    async def schema_version(self) -> int:
        """The highest migration recorded in ``schema_migrations`` (0 on a blank database)."""
        exists = await self.fetch_value("SELECT to_regclass(?) IS NOT NULL",
                                        (_MIGRATIONS_TABLE,))
        if not exists:
            return 0
        value = await self.fetch_value(f"SELECT MAX(version) FROM {_MIGRATIONS_TABLE}")  # noqa: S608
        return int(value or 0)

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply every migration above the database's version, each in its own transaction.

        An advisory lock makes workers that start together take turns: the first applies the
        migrations, the others find them applied.
        """
        pending = bundled_migrations() if migrations is None else migrations
        latest = max((m.version for m in pending), default=0)
        conn = await self.connect()
        try:
            await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_MIGRATIONS_TABLE} ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            cursor = await conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {_MIGRATIONS_TABLE}")  # noqa: S608, E501
            row = await cursor.fetchone()
            current = int(row[0]) if row else 0
            if current > latest:
                raise MigrationError(
                    f"database schema version {current} is newer than this Sinau ({latest})")
            for migration in pending:
                if migration.version <= current:
                    continue
                logger.info("applying migration %03d_%s", migration.version, migration.name)
                try:
                    async with conn.transaction():
                        # No parameters: the script goes as one simple query, all its statements.
                        await conn.execute(migration.sql.encode())
                        await conn.execute(
                            f"INSERT INTO {_MIGRATIONS_TABLE} (version, name) VALUES (%s, %s)",  # noqa: S608
                            (migration.version, migration.name))
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"migration {migration.version:03d}_{migration.name} failed: {exc}"
                    ) from exc
                current = migration.version
            return current
        finally:
            try:
                await conn.execute("SELECT pg_advisory_unlock_all()")
            finally:
                await conn.close()

    async def tables(self) -> dict[str, list[str]]:
        """Every table of the current schema (the migrations' record left out), with columns."""
        rows = await self.fetch_all(
            "SELECT table_name AS tbl, column_name AS col FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name <> ?"
            " ORDER BY table_name, ordinal_position",
            (_MIGRATIONS_TABLE,),
        )
        return columns_by_table(rows)

    async def references(self) -> dict[str, set[str]]:
        """Foreign keys from PostgreSQL's catalogue."""
        rows = await self.fetch_all(
            "SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS parent"
            " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.contype = 'f' AND n.nspname = current_schema()")
        return parents_by_table(rows)

    async def copy_in(self, table: str, columns: list[str],
                      rows: Sequence[Sequence[Any]]) -> None:
        """Rows into ``table`` with COPY (many times faster than INSERTs), inside the open
        unit of work: they commit or roll back with it (``sinau db copy``)."""
        tx = self._tx()
        if tx is None:
            raise StorageError("copy_in runs inside a unit of work")
        await self.fetch_value("SELECT 1")   # BEGIN and the waiting writes go first
        conn: psycopg.AsyncConnection[Any] = tx.handle
        names = ", ".join(f'"{c}"' for c in columns)
        self._hop()
        try:
            async with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    await copy.write_row(row)
        except psycopg.Error as exc:
            tx.begun, tx.aborted = False, True
            await self._give_back(tx, rollback=True)
            raise _storage_error(exc) from exc

    async def set_triggers(self, tables: list[str], *, enabled: bool) -> None:
        """Switch the tables' own triggers off (a copy brings the rows they would derive)
        or on again; inside a transaction the switch is part of it."""
        verb = "ENABLE" if enabled else "DISABLE"
        for table in tables:
            await self.execute(f'ALTER TABLE "{table}" {verb} TRIGGER USER')

    async def reset_identities(self) -> None:
        """Move every identity column's sequence past the largest id stored."""
        rows = await self.fetch_all(
            "SELECT table_name AS tbl, column_name AS col FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'")
        for row in rows:
            table, column = row["tbl"], row["col"]
            await self.fetch_value(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"  # noqa: S608
                f' GREATEST((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)')

    async def integrity_problems(self) -> list[str]:
        """Constraints not validated and triggers switched off (PostgreSQL checks the rest
        as each statement runs)."""
        rows = await self.fetch_all(
            "SELECT 'constraint ' || conname || ' on ' || conrelid::regclass::text AS problem"
            " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = current_schema() AND NOT c.convalidated"
            " UNION ALL SELECT 'trigger ' || tgname || ' disabled' FROM pg_trigger t"
            " JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
            " WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled = 'D'")
        return [str(r["problem"]) for r in rows]

    async def query_plan(self, sql: str, params: Any = ()) -> str:
        """``EXPLAIN`` with sequential scans discouraged: which index the query can use
        (on a test-sized table the planner would rightly scan it whole)."""
        async with self.transaction():
            await self.write("SET LOCAL enable_seqscan = off")
            rows = await self.fetch_all(f"EXPLAIN {sql}", params)
        return " ".join(str(row[0]) for row in rows)

    def connection_info(self) -> dict[str, Any]:
        """For health checks: the engine and where it is (no password)."""
        return {"engine": "postgresql", "url": self.describe()}
