"""Fixtures for the emulator tests: a running emulator, a raw HTTP caller and a PTB Bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import telegram

from bot.sandbox.emulator import BotApiEmulator

Call = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """A running emulator that also checks every result it returns against the spec."""
    async with BotApiEmulator(check_results=True) as emulator:
        yield emulator
        assert emulator.internal_errors == []


async def call_api(
    session: aiohttp.ClientSession,
    emu: BotApiEmulator,
    method: str,
    *,
    token: str | None = None,
    as_json: bool = False,
    **params: Any,
) -> tuple[int, dict[str, Any]]:
    """POST a method like PTB does (form data, non-strings JSON-encoded) or as a JSON body."""
    url = f"{emu.url}/bot{token or emu.token}/{method}"
    if as_json:
        kwargs: dict[str, Any] = {"json": params}
    else:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        kwargs = {"data": form}
    async with session.post(url, **kwargs) as resp:
        return resp.status, await resp.json()


@pytest.fixture
async def api(emu: BotApiEmulator) -> AsyncIterator[Call]:
    """Call a method of the ``emu`` fixture over raw HTTP."""
    async with aiohttp.ClientSession() as session:

        async def call(method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
            return await call_api(session, emu, method, **kwargs)

        yield call


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """A real python-telegram-bot Bot pointed at the emulator."""
    ptb = telegram.Bot(emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")
    async with ptb:
        yield ptb
