"""Online backups: taken while the bot runs, checked, and restorable."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.storage import SqliteDatabase
from tests.e2e.harness import Sinau

ROOT = Path(__file__).resolve().parents[2]


async def _cli(*args: str, db: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(PYTHONPATH=str(ROOT), SINAU_DATABASE__PATH=str(db))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


# `sinau backup` copies the SQLite file; a PostgreSQL database is backed up with pg_dump
# (docs/operations.md), and test_postgres_backup_is_refused_with_the_way_to_do_it says so.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_backup_while_running_is_complete_and_sound(sinau: Sinau, tmp_path: Path) -> None:
    users = [sinau.user(f"Peserta {i}") for i in range(5)]
    for user in users:
        await sinau.send(user, "/start")
    assert sinau.settings is not None
    live = sinau.settings.database.path
    target = tmp_path / "backups" / "sinau-backup.db"

    code, out = await _cli("backup", str(target), db=live)
    assert code == 0, out
    assert "integrity ok" in out

    async with SqliteDatabase(target) as copy:
        assert await copy.integrity_check() == "ok"
        assert await copy.schema_version() == await sinau.services.db.schema_version()
        ids = {row[0] for row in await copy.fetch_all("SELECT id FROM users")}
    assert {u.id for u in users} <= ids

    # The bot keeps working after the backup.
    replies = await sinau.send(users[0], "/help")
    assert replies

    # A second backup to the same path is refused rather than overwriting it.
    code, out = await _cli("backup", str(target), db=live)
    assert code == 1 and "already exists" in out


@pytest.mark.postgresql
async def test_postgres_backup_is_refused_with_the_way_to_do_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(PYTHONPATH=str(ROOT),
               SINAU_DATABASE__URL="postgresql://sinau:secret@127.0.0.1:1/sinau")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(tmp_path / "b.db"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "pg_dump" in out.decode() and "secret" not in out.decode()
    assert not (tmp_path / "b.db").exists()
