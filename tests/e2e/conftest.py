"""Fixtures for end-to-end tests: an emulator and a running bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox.emulator import BotApiEmulator
from tests.conftest import TEST_TOKEN
from tests.e2e.harness import Sinau


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A strict Bot API emulator on loopback, flood limits on."""
    emu = BotApiEmulator(token=TEST_TOKEN, flood_limits=True)
    await emu.start()
    yield emu
    await emu.stop()


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
