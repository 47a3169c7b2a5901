"""Shared fixtures: settings on a temporary database, an opened database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import load_catalogue
from bot.delivery.models import Sender
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, SqliteDatabase
from bot.wiring import Services, compose
from tests.e2e.harness import Sinau

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
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[BotApiEmulator]:
    """The strict Bot API emulator on loopback, Telegram's flood limits on.

    A module or test changes its options with ``@pytest.mark.emulator(flood_limits=False)``.
    """
    marker = request.node.get_closest_marker("emulator")
    options: dict[str, Any] = {"flood_limits": True, **(marker.kwargs if marker else {})}
    emu = BotApiEmulator(token=TEST_TOKEN, **options)
    await emu.start()
    yield emu
    await emu.stop()


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


@pytest.fixture
async def start_sinau(
    emulator: BotApiEmulator, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Awaitable[Sinau]]]:
    """Start the bot with optional settings sections overridden; stopped after the test."""
    started: list[Sinau] = []

    async def factory(**overrides: Any) -> Sinau:
        bot = Sinau(emulator, make_settings, **overrides)
        await bot.start()
        started.append(bot)
        return bot

    yield factory
    for bot in started:
        await bot.stop()
    # Every request the bot made in the test must have passed the emulator's spec and flood
    # checks; a test that provokes violations on purpose clears them itself.
    assert [(v.method, v.description) for v in emulator.violations] == []


@pytest.fixture
async def sinau(start_sinau: Callable[..., Awaitable[Sinau]]) -> Sinau:
    """The bot with default settings."""
    return await start_sinau()
