"""Fixtures of the multi-worker tests: a fresh PostgreSQL database, HAProxy, the workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import DatabaseSettings
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, open_database
from tests.cluster.farm import Farm, base_env

# Every test here needs PostgreSQL (several workers share one database) and HAProxy.
pytestmark = pytest.mark.postgresql


@pytest.fixture
def backend() -> str:
    """The cluster runs on PostgreSQL only."""
    return "postgresql"


@pytest.fixture
def pg_url(database_settings: dict[str, Any]) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the workers."""
    yield str(database_settings["url"])


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[Database]:
    """The workers' database, opened by the test alongside them."""
    async with open_database(DatabaseSettings(url=pg_url)) as db:
        yield db


def farm_env(emulator: BotApiEmulator, pg_url: str, **extra: str) -> dict[str, str]:
    """The environment of every worker: nudges ticking fast, quiet hours off."""
    return base_env(emulator.url, emulator.token, pg_url,
                    SINAU_NUDGES__TICK_SECONDS="0.5",
                    # The test runs at any hour of the host's day.
                    SINAU_NUDGES__QUIET_START="00:00", SINAU_NUDGES__QUIET_END="00:00",
                    SINAU_DELIVERY__QUIET_HOURS="",
                    **extra)


@pytest.fixture
async def farm_factory(tmp_path: Path) -> AsyncIterator[Any]:
    """Start a Farm of N workers behind HAProxy; every farm is stopped at the end."""
    farms: list[Farm] = []

    async def start(env: dict[str, str], size: int) -> Farm:
        farm = Farm(tmp_path, env, size=size)
        farms.append(farm)
        await farm.start()
        return farm

    yield start
    for farm in farms:
        await farm.stop()
