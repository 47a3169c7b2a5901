"""``sinau db copy``: a seeded SQLite database into a new PostgreSQL one, row for row.

The CLI runs as a process (as an operator runs it); then every table is compared on both sides
row by row, new rows get fresh ids (the sequences moved past the copied ones), the triggers
work again, and a second copy into the now full database is refused.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.seed import seed
from bot.config import DatabaseSettings
from bot.storage import SqliteDatabase, open_database
from bot.storage.copy import CopyError, parents_first
from tests import pgcluster
from tests.conftest import postgres_base_url

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = 300

pytestmark = pytest.mark.postgresql


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "db", "copy", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def _normal(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


async def _rows(db: Any, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    rows = await db.fetch_all(f'SELECT {names} FROM "{table}"')  # noqa: S608
    return sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)


async def test_copy_sqlite_into_postgresql_row_for_row(tmp_path: Path, worker_id: str) -> None:
    source = tmp_path / "sinau.db"
    await asyncio.to_thread(seed, LEARNERS, source)
    base = postgres_base_url()
    name = f"sinau_copy_{worker_id}"
    url = pgcluster.create_database(base, name)   # empty: the copy migrates it
    try:
        done = await asyncio.to_thread(_cli, str(source), url)
        assert done.returncode == 0, done.stderr
        assert "row counts match" in done.stdout

        async with SqliteDatabase(source) as lite, open_database(
                DatabaseSettings(url=url)) as pg:
            ours, theirs = await lite.tables(), await pg.tables()
            copied = [t for t in ours if t in theirs]
            assert set(ours) <= set(theirs)
            total = 0
            for table in copied:
                left = await _rows(lite, table, ours[table])
                right = await _rows(pg, table, ours[table])
                assert left == right, table
                total += len(left)
            assert total > LEARNERS * 50   # a real history, not a few rows
            assert await lite.fetch_value("SELECT COUNT(*) FROM users") == LEARNERS
            # Both engines see the same foreign keys, so both order the tables alike.
            assert parents_first(copied, await lite.references()) == parents_first(
                copied, await pg.references())
            # Identity columns continue after the copied ids; triggers are on again.
            top = await pg.fetch_value("SELECT MAX(id) FROM quiz_answers")
            stamp = int(datetime.now(UTC).timestamp())
            await pg.execute(
                "INSERT INTO users (id, first_name, language, timezone, created_at,"
                " last_seen_at) VALUES (?, 'Baru', 'id', 'Asia/Jakarta', ?, ?)",
                (9_999_999, stamp, stamp))
            assert await pg.fetch_value(
                "SELECT COUNT(*) FROM nudge_schedules WHERE user_id = ?", (9_999_999,)) == 1
            new_id = await pg.fetch_value(
                "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key,"
                " chosen, correct, is_first, source, answered_at) SELECT user_id, course_key,"
                " lesson_key, question_key, chosen, correct, 0, source, answered_at"
                " FROM quiz_answers LIMIT 1 RETURNING id")
            assert new_id > top

        # The target has rows now: a second copy is refused and changes nothing.
        again = await asyncio.to_thread(_cli, str(source), url)
        assert again.returncode == 1
        assert "not empty" in again.stderr
    finally:
        pgcluster.drop_database(base, name)


async def test_a_source_behind_the_schema_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    async with SqliteDatabase(old) as db:
        from bot.storage.sqlite import bundled_migrations

        await db.migrate(bundled_migrations()[:3])
    done = await asyncio.to_thread(_cli, str(old), f"{postgres_base_url()}/postgres")
    assert done.returncode == 1
    assert "sinau migrate" in done.stderr


def test_tables_are_ordered_parents_first_and_a_cycle_is_an_error() -> None:
    assert parents_first(["b", "a", "c"], {"b": {"a"}, "c": {"b"}}) == ["a", "b", "c"]
    with pytest.raises(CopyError, match="cycle"):
        parents_first(["a", "b"], {"a": {"b"}, "b": {"a"}})


def test_wrong_engines_are_refused(tmp_path: Path) -> None:
    done = _cli("postgresql://x@127.0.0.1/a", "postgresql://x@127.0.0.1/b")
    assert done.returncode == 2
    assert "SQLite" in done.stderr
