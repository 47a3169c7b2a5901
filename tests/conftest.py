"""Shared fixtures: settings on a temporary database, an opened database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import load_catalogue
from bot.delivery.models import Sender
from bot.storage import Database, SqliteDatabase
from bot.wiring import Services, compose

# python-telegram-bot warns on every RetryAfter unless its coming timedelta durations are opted
# into; the bot opts in (bot.app), and so do tests that build a Bot themselves.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TEST_TOKEN = "123456789:AAH-test-token-for-sinau-000000000"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings on a temporary database; keyword sections override the defaults."""

    def factory(**sections: Any) -> Settings:
        sections.setdefault("telegram", {})
        sections["telegram"] = {"token": TEST_TOKEN, "poll_timeout": 1, **sections["telegram"]}
        sections.setdefault("database", {"path": tmp_path / "sinau.db"})
        return Settings(**sections)

    return factory


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a temporary file."""
    database = SqliteDatabase(tmp_path / "unit.db")
    await database.open()
    await database.migrate()
    yield database
    await database.close()


def composed(db: Database, clock: Clock, settings: Settings | None = None, *,
             sender: Sender | None = None, catalogue: Catalogue | None = None) -> Services:
    """The services as the bot composes them, over a test's database (no Telegram)."""
    holder = CatalogueHolder(catalogue if catalogue is not None else load_catalogue())
    return compose(settings or Settings(), clock, db, holder, sender=sender)
