"""The PostgreSQL engine on a real server: migrations, placeholders, types, units of work."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import psycopg
import pytest

from bot.config import DatabaseSettings
from bot.storage import Conflict, Migration, MigrationError, open_database
from bot.storage.postgres import PostgresDatabase, bundled_migrations, redact, translate
from bot.storage.sqlite import bundled_migrations as sqlite_migrations
from tests import pgcluster
from tests.conftest import postgres_base_url
from tests.unit.schema import POSTGRES_ONLY, SCHEMA

pytestmark = pytest.mark.postgresql

_names = itertools.count()


@pytest.fixture
def blank_url(worker_id: str) -> Iterator[str]:
    """An empty database: no table, no migration."""
    base = postgres_base_url()
    name = f"sinau_blank_{worker_id}_{next(_names)}"
    url = pgcluster.create_database(base, name)
    yield url
    pgcluster.drop_database(base, name)


def test_placeholders_are_translated_outside_literals_and_comments() -> None:
    sql = "SELECT ?, :name, 'it''s ? :x 5%', x::text, \"q?\", 5 % 2 -- ? :c\nFROM t WHERE a = ?"
    assert translate(sql) == (
        "SELECT %s, %(name)s, 'it''s ? :x 5%%', x::text, \"q?\", 5 %% 2 -- ? :c\n"
        "FROM t WHERE a = %s"
    )


def test_a_password_never_leaves_the_url() -> None:
    assert redact("postgresql://sinau:s3cret@db.local:5432/sinau") == (
        "postgresql://sinau:***@db.local:5432/sinau")
    settings = DatabaseSettings(url="postgresql://sinau:s3cret@db.local/sinau")
    assert "s3cret" not in repr(settings) and settings.engine == "postgresql"
    assert "s3cret" not in open_database(settings).describe()


def test_both_engines_have_the_same_migrations() -> None:
    assert [(m.version, m.name) for m in bundled_migrations()] == [
        (m.version, m.name) for m in sqlite_migrations()]


async def test_blank_database_migrates_to_latest(blank_url: str) -> None:
    async with PostgresDatabase(blank_url) as db:
        assert await db.schema_version() == 0
        version = await db.migrate()
        assert version == len(bundled_migrations())
        assert await db.schema_version() == version
        # Every table, every column, in order: SQLite's schema, and what workers share.
        assert await db.tables() == {**SCHEMA, **POSTGRES_ONLY}
        recorded = await db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY 1")
        assert [(r["version"], r["name"]) for r in recorded] == [
            (m.version, m.name) for m in bundled_migrations()]
        assert await db.migrate() == version


async def test_workers_starting_together_migrate_once(blank_url: str) -> None:
    databases = [PostgresDatabase(blank_url) for _ in range(3)]
    for db in databases:
        await db.open()
    try:
        versions = await asyncio.gather(*(db.migrate() for db in databases))
        assert set(versions) == {len(bundled_migrations())}
        assert await databases[0].fetch_value("SELECT COUNT(*) FROM schema_migrations") == len(
            bundled_migrations())
    finally:
        for db in databases:
            await db.close()


async def test_failed_migration_leaves_previous_version(blank_url: str) -> None:
    good = Migration(1, "good", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "bad", "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);")
    async with PostgresDatabase(blank_url) as db:
        with pytest.raises(MigrationError, match="002_bad"):
            await db.migrate([good, bad])
        assert await db.schema_version() == 1
        assert set(await db.tables()) == {"a"}  # the half of migration 2 that ran is gone
        fixed = Migration(2, "fixed", "CREATE TABLE b (y INTEGER);")
        assert await db.migrate([good, fixed]) == 2
        with pytest.raises(MigrationError, match="newer"):
            await db.migrate([good])


async def test_values_come_back_as_sqlite_gives_them(blank_url: str) -> None:
    async with PostgresDatabase(blank_url) as db:
        await db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, flag BIGINT, name TEXT)")
        await db.execute_many("INSERT INTO t VALUES (?, ?, ?)",
                              [(1, True, "a\x00b"), (2, False, "ok"), (3, 1, None)])
        row = await db.fetch_one("SELECT SUM(id) AS total, AVG(id) AS mean FROM t")
        assert row is not None
        assert (row["total"], row[1]) == (6, 2.0)
        assert type(row["total"]) is int and dict(row) == {"total": 6, "mean": 2.0}
        # A NUL cannot be stored in PostgreSQL text: it is replaced, the row is kept.
        assert await db.fetch_value("SELECT name FROM t WHERE id = 1") == "a\ufffdb"
        flags = await db.fetch_all("SELECT flag FROM t ORDER BY id")
        assert [tuple(r) for r in flags] == [(1,), (0,), (1,)]
        listed = await db.fetch_all(
            f"SELECT id FROM t WHERE {db.dialect.in_list('id')} ORDER BY id",
            (db.list_param([1, 3]),))
        assert [r["id"] for r in listed] == [1, 3]


async def test_a_unit_of_work_is_one_round_trip_and_all_or_nothing(blank_url: str) -> None:
    async with PostgresDatabase(blank_url) as db:
        await db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        before = db.round_trips
        async with db.transaction():
            await db.write("INSERT INTO t VALUES (?, ?)", (1, 10))
            await db.write("INSERT INTO t VALUES (?, ?)", (2, 20))
            await db.execute_many("INSERT INTO t VALUES (?, ?)", [(3, 30), (4, 40)])
        assert db.round_trips - before == 1  # BEGIN, four rows and COMMIT in one pipeline
        async with db.transaction():
            await db.write("UPDATE t SET n = n + 1 WHERE id = ?", (1,))
            total = await db.fetch_value("SELECT SUM(n) FROM t")
            await db.write("UPDATE t SET n = n + 1 WHERE id = ?", (2,))
        assert total == 101
        with pytest.raises(Conflict):
            async with db.transaction():
                await db.write("INSERT INTO t VALUES (?, ?)", (5, 50))
                await db.write("INSERT INTO t VALUES (?, ?)", (1, 0))
        assert await db.fetch_value("SELECT COUNT(*) FROM t") == 4
        # The pool is healthy after the failed unit: a new one works.
        async with db.transaction():
            await db.write("INSERT INTO t VALUES (?, ?)", (5, 50))
        assert await db.fetch_value("SELECT COUNT(*) FROM t") == 5


async def test_an_unreachable_server_is_a_clear_error() -> None:
    port = pgcluster.free_port()
    db = PostgresDatabase(f"postgresql://sinau:pw@127.0.0.1:{port}/nothing")
    with pytest.raises(Exception, match="cannot connect to postgresql://sinau:\\*\\*\\*@") as info:
        await db.open()
    assert "pw@" not in str(info.value)


def test_the_test_server_is_real() -> None:
    with psycopg.connect(f"{postgres_base_url()}/postgres") as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None and row[0] >= 130000
