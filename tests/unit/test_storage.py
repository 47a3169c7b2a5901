"""Storage: migrations from a blank file, atomic failure, the users repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Conflict, Database, Migration, MigrationError, SqliteDatabase
from bot.storage.sqlite import bundled_migrations
from bot.storage.users import ChatRepository, UserRepository
from tests.unit.schema import SCHEMA

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


async def test_blank_database_migrates_to_latest(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "blank.db") as db:
        assert await db.schema_version() == 0
        version = await db.migrate()
        assert version == len(bundled_migrations())
        assert await db.schema_version() == version
        # Every table, every column, in order.
        assert await db.tables() == SCHEMA
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
        assert await db.fetch_value("PRAGMA foreign_keys") == 1
        # Migrating again is a no-op.
        assert await db.migrate() == version
        assert await db.integrity_check() == "ok"


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    good = Migration(1, "good", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "bad", "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);")
    async with SqliteDatabase(tmp_path / "m.db") as db:
        with pytest.raises(MigrationError, match="002_bad"):
            await db.migrate([good, bad])
        assert await db.schema_version() == 1
        names = {r["name"] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert "a" in names
        assert "b" not in names  # the half of migration 2 that ran was rolled back
        # A fixed migration 2 then applies cleanly.
        fixed = Migration(2, "fixed", "CREATE TABLE b (y INTEGER);")
        assert await db.migrate([good, fixed]) == 2


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "n.db") as db:
        await db.migrate([Migration(1, "a", "CREATE TABLE a (x);"),
                          Migration(2, "b", "CREATE TABLE b (x);")])
        with pytest.raises(MigrationError, match="newer"):
            await db.migrate([Migration(1, "a", "CREATE TABLE a (x);")])


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats (id, type, created_at, updated_at) VALUES (1, 'group', 0, 0)"
            )
            raise RuntimeError("boom")
    assert await db.fetch_value("SELECT COUNT(*) FROM chats") == 0


async def test_user_touch_creates_then_updates(db: Database) -> None:
    users = UserRepository(db)
    created = await users.touch(
        user_id=7, first_name="Sari", last_name=None, username="sari", telegram_language="id",
        timezone="Asia/Jakarta", now=NOW,
    )
    assert created.name == "Sari" and not created.onboarded and created.is_active
    later = NOW + timedelta(hours=1)
    again = await users.touch(
        user_id=7, first_name="Sari W.", last_name="Wulandari", username=None,
        telegram_language="en", timezone="Asia/Makassar", now=later,
    )
    assert again.first_name == "Sari W." and again.full_name == "Sari W. Wulandari"
    assert again.created_at == NOW and again.last_seen_at == later
    assert again.timezone == "Asia/Jakarta"  # a profile setting is not overwritten by a touch
    updated = await users.update_profile(7, language="en", display_name="Dra. Sari")
    assert updated is not None and updated.language == "en" and updated.name == "Dra. Sari"
    await users.mark_onboarded(7, later)
    fetched = await users.get(7)
    assert fetched is not None and fetched.onboarded and fetched.onboarding_step is None
    await users.set_active(7, False)
    fetched = await users.get(7)
    assert fetched is not None and not fetched.is_active
    assert await users.count() == 1


async def test_update_profile_refuses_other_columns(db: Database) -> None:
    with pytest.raises(ValueError, match="not a profile column"):
        await UserRepository(db).update_profile(1, is_active=0)


async def test_language_constraint(db: Database) -> None:
    users = UserRepository(db)
    await users.touch(user_id=1, first_name="A", last_name=None, username=None,
                      telegram_language=None, timezone="Asia/Jakarta", now=NOW)
    with pytest.raises(Conflict, match="(?i)check constraint"):
        await users.update_profile(1, language="fr")


async def test_chats_upsert(db: Database) -> None:
    chats = ChatRepository(db)
    chat = await chats.upsert(chat_id=-100123, type_="supergroup", title="Forum", is_forum=True,
                              now=NOW)
    assert chat.is_forum and chat.bot_status is None
    await chats.set_bot_status(-100123, "administrator", NOW)
    await chats.set_language(-100123, "en")
    fetched = await chats.get(-100123)
    assert fetched is not None and fetched.bot_status == "administrator"
    assert fetched.language == "en"
