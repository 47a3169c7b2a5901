"""Fixtures for the delivery path: an emulator with flood limits and a rate-limited ExtBot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.config import DeliverySettings
from bot.delivery.limiter import SinauRateLimiter
from bot.sandbox.emulator import BotApiEmulator


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under our warning filter) when it builds a RetryAfter unless the
    # process opts in to timedelta durations; the 429 tests need RetryAfter to be raised.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def make_bot(
    emulator: BotApiEmulator,
) -> AsyncIterator[Callable[..., Awaitable[ExtBot[Any]]]]:
    """An ExtBot with Sinau's rate limiter (DeliverySettings overridable) on the emulator."""
    bots: list[ExtBot[Any]] = []

    async def factory(**delivery: Any) -> ExtBot[Any]:
        bot: ExtBot[Any] = ExtBot(
            emulator.token,
            base_url=f"{emulator.url}/bot",
            base_file_url=f"{emulator.url}/file/bot",
            rate_limiter=SinauRateLimiter(DeliverySettings(**delivery)),
        )
        await bot.initialize()
        bots.append(bot)
        return bot

    yield factory
    for bot in bots:
        await bot.shutdown()
