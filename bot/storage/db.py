"""The database seen by repositories: one interface, an SQLite and a PostgreSQL engine.

Repositories hold a ``Database`` and call ``fetch_*``, ``execute``, ``returning``, ``write``,
``later`` and ``execute_many`` with explicit, parameterised SQL (``?`` placeholders, or
``:name`` with a mapping); an engine translates the placeholders for its driver. They never
see a driver's connection, cursor or error type: a constraint violation is ``Conflict``.

**Units of work.** ``async with db.transaction():`` opens a transaction that every repository
call made inside the block (in the same task) joins, so a learner action that writes several
rows commits once. Inside it, writes whose result nobody needs (``write``, ``later``,
``execute_many``) are not sent at once: they wait and go to the database together with the
next statement that needs an answer, or with the COMMIT. A lesson card shown, its session and
the course it belongs to are then one round trip, BEGIN and COMMIT included. ``later`` returns
a ``Pending`` whose value is there once the block has committed. Errors of waiting writes
(a ``Conflict``, say) surface when they are sent: at the next read, or at the block's end.

``round_trips`` counts every exchange with the database (a hop to SQLite's thread, a network
exchange with PostgreSQL); ``metered()`` counts the ones made by one piece of work (the bot
meters each update), so tests can hold the hot paths to their budget.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, Self, TypeVar

T = TypeVar("T")

Params = Sequence[Any] | dict[str, Any]

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class Row(Protocol):
    """A result row: values by column name (and by position)."""

    def __getitem__(self, key: str | int) -> Any:
        """The value of a column."""
        ...

    def keys(self) -> list[str]:
        """The column names, in order."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """The values, in column order."""
        ...


class StorageError(Exception):
    """A storage operation failed."""


class Conflict(StorageError):
    """A write broke a uniqueness, key or check constraint; nothing of it was stored."""


class MigrationError(StorageError):
    """A migration failed; the database stays at the version it had before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL script."""

    version: int
    name: str
    sql: str


def parse_migrations(files: Iterable[tuple[str, str]]) -> list[Migration]:
    """(file name, text) pairs as numbered migrations, checked for gaps, in order."""
    found = []
    for name, text in files:
        match = _MIGRATION_NAME.match(name)
        if match:
            found.append(Migration(int(match[1]), match[2], text))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def columns_by_table(rows: Iterable[Row]) -> dict[str, list[str]]:
    """Catalogue rows (``tbl``, ``col``), in order, as table → its columns."""
    schema: dict[str, list[str]] = {}
    for row in rows:
        schema.setdefault(row["tbl"], []).append(row["col"])
    return schema


def parents_by_table(rows: Iterable[Row]) -> dict[str, set[str]]:
    """Foreign-key rows (``tbl``, ``parent``) as table → the other tables it references."""
    found: dict[str, set[str]] = {}
    for row in rows:
        if row["parent"] != row["tbl"]:
            found.setdefault(row["tbl"], set()).add(row["parent"])
    return found


def to_epoch(moment: datetime) -> int:
    """Seconds since the epoch for an aware datetime (what the tables store)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp())


def from_epoch(seconds: int | None) -> datetime | None:
    """The aware UTC datetime for a stored epoch value (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def epoch_of(seconds: int) -> datetime:
    """The aware UTC datetime of a stored, never-NULL epoch value."""
    return datetime.fromtimestamp(seconds, UTC)


class Pending(Generic[T]):
    """The result of a write that waits in a unit of work: readable once it was sent."""

    __slots__ = ("_done", "_value")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None

    def resolve(self, value: T) -> None:
        """Set the value (the engine does, when the statement ran)."""
        self._value, self._done = value, True

    @property
    def value(self) -> T:
        """The value; only after the unit of work committed."""
        if not self._done:
            raise RuntimeError("read a pending result before its unit of work committed")
        return self._value  # type: ignore[return-value]

    @classmethod
    def of(cls, value: T) -> Pending[T]:
        """An already resolved result."""
        pending: Pending[T] = cls()
        pending.resolve(value)
        return pending


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one statement produced."""

    rows: list[Any]
    rowcount: int


@dataclass(slots=True)
class Statement:
    """One statement of a batch: SQL, parameters (or many rows of them), what to do after."""

    sql: str
    params: Any = ()
    many: bool = False
    on_result: Callable[[Outcome], None] | None = None


class Dialect:
    """The SQL that differs between engines, as small builders the repositories call."""

    name = "sqlite"

    def greatest(self, *exprs: str) -> str:
        """The largest of the expressions (SQLite's multi-argument MAX)."""
        return f"MAX({', '.join(exprs)})"

    def least(self, *exprs: str) -> str:
        """The smallest of the expressions (SQLite's multi-argument MIN)."""
        return f"MIN({', '.join(exprs)})"

    def text_agg(self, expr: str, separator: str) -> str:
        """The values of ``expr`` joined into one text (``separator`` is a literal)."""
        return f"group_concat({expr}, '{separator}')"

    def in_list(self, column: str) -> str:
        """``column`` is one of the values of a list parameter (pass ``db.list_param(v)``)."""
        return f"{column} IN (SELECT value FROM json_each(?))"

    def days_between(self, later: str, earlier: str) -> str:
        """Whole days from the ISO date ``earlier`` to ``later`` (both text expressions)."""
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def nocase(self, expr: str) -> str:
        """``expr`` for case-insensitive ordering and comparison."""
        return f"{expr} COLLATE NOCASE"

    def is_distinct(self, left: str, right: str) -> str:
        """True when the two differ, NULLs compared as values."""
        return f"{left} IS NOT {right}"

    def skip_locked(self) -> str:
        """Appended to a claiming SELECT: rows another worker holds are passed over.

        SQLite has one writer at a time, so a claim there never meets a held row.
        """
        return ""


@dataclass
class _Tx:
    """One open unit of work: its engine state and the writes waiting to be sent."""

    task: asyncio.Task[Any] | None
    queued: list[Statement] = field(default_factory=list)
    begun: bool = False
    aborted: bool = False  # a statement failed: everything was rolled back
    handle: Any = None  # the engine's connection while the transaction is open
    owner: Any = None  # the Database it belongs to (a task may use two: sinau db copy)


_current: ContextVar[_Tx | None] = ContextVar("sinau_transaction", default=None)


@dataclass
class Meter:
    """Database round trips made by one piece of work (and the tasks it starts)."""

    round_trips: int = 0


_meter: ContextVar[Meter | None] = ContextVar("sinau_db_meter", default=None)


@contextmanager
def metered() -> Iterator[Meter]:
    """Count the round trips made inside the block (in this task and tasks it starts)."""
    meter = Meter()
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


class Database(ABC):
    """An opened database; see the module docstring for the unit-of-work rules."""

    dialect: Dialect = Dialect()

    def __init__(self) -> None:
        self.round_trips = 0

    def _hop(self) -> None:
        """One exchange with the database is about to happen: count it."""
        self.round_trips += 1
        meter = _meter.get()
        if meter is not None:
            meter.round_trips += 1

    # ------------------------------------------------------------------ lifecycle
    @abstractmethod
    async def open(self) -> None:
        """Connect."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect (idempotent)."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply every bundled migration above the database's version; the new version."""

    @abstractmethod
    async def schema_version(self) -> int:
        """The version of the last migration applied."""

    @abstractmethod
    def latest_version(self) -> int:
        """The version of the newest migration this Sinau ships for the engine."""

    @abstractmethod
    async def tables(self) -> dict[str, list[str]]:
        """Every table of the schema (ours, not the engine's) with its columns, in order."""

    @abstractmethod
    async def references(self) -> dict[str, set[str]]:
        """Table → the tables its foreign keys point at (itself left out)."""

    @abstractmethod
    async def integrity_problems(self) -> list[str]:
        """What is wrong with the stored data's structure (empty when sound)."""

    @abstractmethod
    async def query_plan(self, sql: str, params: Params = ()) -> str:
        """The engine's plan for a query, as text (to check that an index serves it)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the database is, safe to print (no password)."""

    def list_param(self, values: Sequence[Any]) -> Any:
        """A list of values as one parameter, for ``dialect.in_list``."""
        import json

        return json.dumps(list(values))

    # ------------------------------------------------------------------ engine hooks
    @abstractmethod
    async def _autocommit(self, statement: Statement, *, read: bool) -> Outcome:
        """Run one statement on its own (a read on a reader connection when ``read``)."""

    @abstractmethod
    async def _flush(self, tx: _Tx, statements: list[Statement], *, commit: bool) -> None:
        """Send ``statements`` (BEGIN first when not begun, COMMIT last when ``commit``) in
        one exchange, calling each statement's ``on_result``.

        On an error the whole transaction is rolled back in the same exchange, ``tx`` is
        marked aborted and released, and the error (``Conflict`` for a constraint) raised.
        """

    @abstractmethod
    async def _rollback(self, tx: _Tx) -> None:
        """Roll the begun transaction back and release it."""

    @abstractmethod
    async def _release(self, tx: _Tx) -> None:
        """Release what an unbegun transaction may hold (nothing was sent)."""

    # ------------------------------------------------------------------ transactions
    def _tx(self) -> _Tx | None:
        tx = _current.get()
        if tx is None or tx.task is not asyncio.current_task() or tx.owner is not self:
            return None  # a task started inside a unit of work does not share it
        if tx.aborted:
            raise StorageError("the unit of work was rolled back after an error; start anew")
        return tx

    @property
    def in_transaction(self) -> bool:
        """True inside ``transaction()`` in this task."""
        return self._tx() is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """A unit of work the repositories join; committed once at the end of the block.

        It yields this database (every call on it inside the block joins the unit). Nested
        blocks join the outer one. An exception rolls everything back.
        """
        if self._tx() is not None:
            yield self
            return
        tx = _Tx(asyncio.current_task(), owner=self)
        token = _current.set(tx)
        try:
            try:
                yield self
            except BaseException:
                tx.queued.clear()
                if tx.begun:
                    await asyncio.shield(self._rollback(tx))
                elif not tx.aborted:
                    await self._release(tx)
                raise
            if tx.aborted:
                raise StorageError("the unit of work was rolled back after an error")
            if tx.queued or tx.begun:
                statements, tx.queued = tx.queued, []
                await self._flush(tx, statements, commit=True)
            else:
                await self._release(tx)
        finally:
            _current.reset(token)

    async def _run(self, statement: Statement, *, read: bool = False) -> Outcome:
        """Run ``statement`` now: with the waiting writes inside a unit of work, else alone."""
        tx = self._tx()
        if tx is None:
            return await self._autocommit(statement, read=read)
        result: list[Outcome] = []
        statement.on_result = result.append
        statements, tx.queued = [*tx.queued, statement], []
        await self._flush(tx, statements, commit=False)
        return result[0]

    # ------------------------------------------------------------------ for repositories
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query."""
        return (await self._run(Statement(sql, params), read=True)).rows

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a write now; the number of rows it changed."""
        return (await self._run(Statement(sql, params))).rowcount

    async def returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a write with a RETURNING clause now; its rows."""
        return (await self._run(Statement(sql, params))).rows

    async def write(self, sql: str, params: Params = ()) -> None:
        """A write nobody needs an answer from: it waits inside a unit of work."""
        tx = self._tx()
        if tx is None:
            await self._autocommit(Statement(sql, params), read=False)
        else:
            tx.queued.append(Statement(sql, params))

    async def later(self, sql: str, params: Params, read: Callable[[Outcome], T]) -> Pending[T]:
        """A write whose answer is needed after the unit of work (``read`` maps it)."""
        tx = self._tx()
        if tx is None:
            return Pending.of(read(await self._autocommit(Statement(sql, params), read=False)))
        pending: Pending[T] = Pending()
        tx.queued.append(Statement(sql, params,
                                   on_result=lambda outcome: pending.resolve(read(outcome))))
        return pending

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for many rows, in one transaction (it waits inside a unit of work)."""
        batch = list(rows)
        if not batch:
            return
        statement = Statement(sql, batch, many=True)
        tx = self._tx()
        if tx is not None:
            tx.queued.append(statement)
            return
        async with self.transaction():
            tx = self._tx()
            assert tx is not None
            tx.queued.append(statement)
