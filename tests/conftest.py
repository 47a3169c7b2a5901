"""Shared fixtures: settings on a temporary database, an opened database — on both engines.

Every test that uses ``db``, ``make_settings`` or ``database_settings`` (the bot started by
``start_sinau`` and ``sinau`` included) runs twice: on an SQLite file and on a fresh database
of a real PostgreSQL server. The server is a throwaway cluster the test run starts itself
(tests/pgcluster.py) unless ``SINAU_TEST_POSTGRES_URL`` names one; a failure to start it fails
the run. ``SINAU_TEST_BACKENDS=sqlite`` leaves PostgreSQL out of a local run on purpose.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.config import DatabaseSettings, Settings
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import load_catalogue
from bot.delivery.models import Sender
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, open_database
from bot.wiring import Services, compose
from tests import pgcluster
from tests.e2e.harness import Sinau

# python-telegram-bot warns on every RetryAfter unless its coming timedelta durations are opted
# into; the bot opts in (bot.app), and so do tests that build a Bot themselves.
os.environ.setdefault("PTB_TIMEDELTA", "true")
# The tests run on the wall clock: bulk sends wait for no quiet hours unless a test sets them
# (Settings(delivery={"quiet_hours": ...}) wins over the environment).
os.environ.setdefault("SINAU_DELIVERY__QUIET_HOURS", "")

TEST_TOKEN = "123456789:AAH-test-token-for-sinau-000000000"

BACKENDS = [name.strip() for name in
            os.environ.get("SINAU_TEST_BACKENDS", "sqlite,postgresql").split(",") if name.strip()]
POSTGRES_ENV = "SINAU_TEST_POSTGRES_URL"
_CLUSTER = pytest.StashKey[pgcluster.Cluster]()
_names = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    """Start the PostgreSQL cluster once, in the controlling process (xdist workers inherit
    its URL through the environment)."""
    if ("postgresql" not in BACKENDS or hasattr(config, "workerinput")
            or os.environ.get(POSTGRES_ENV)):
        return
    cluster = pgcluster.Cluster()
    os.environ[POSTGRES_ENV] = cluster.start()
    config.stash[_CLUSTER] = cluster


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A run without PostgreSQL (SINAU_TEST_BACKENDS=sqlite) leaves its tests out."""
    if "postgresql" in BACKENDS:
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the cluster this run started."""
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(POSTGRES_ENV, None)


def postgres_base_url() -> str:
    """The PostgreSQL server of this run (started by pytest_configure)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        raise RuntimeError(f"no PostgreSQL server for the tests: {POSTGRES_ENV} is not set")
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The engine this run of the test uses: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture(scope="session")
def pg_template(worker_id: str) -> str:
    """A migrated PostgreSQL database, the template each test's database is copied from."""
    base = postgres_base_url()
    name = f"sinau_template_{worker_id}"
    url = pgcluster.create_database(base, name)

    async def migrate() -> None:
        async with open_database(DatabaseSettings(url=url)) as database:
            await database.migrate()

    asyncio.run(migrate())
    return name


@pytest.fixture
def database_settings(backend: str, tmp_path: Path, worker_id: str,
                      request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """The ``database`` settings section of a fresh, migrated database on ``backend``."""
    if backend == "sqlite":
        yield {"path": tmp_path / "sinau.db"}
        return
    template = request.getfixturevalue("pg_template")
    base = postgres_base_url()
    name = f"sinau_test_{worker_id}_{next(_names)}"
    url = pgcluster.create_database(base, name, template=template)
    yield {"url": url, "path": tmp_path / "sinau.db"}
    pgcluster.drop_database(base, name)


def database_env(section: dict[str, Any]) -> dict[str, str]:
    """The environment variables that give a bot process the same database."""
    env = {"SINAU_DATABASE__PATH": str(section["path"])}
    if "url" in section:
        env["SINAU_DATABASE__URL"] = str(section["url"])
    return env


@pytest.fixture
def make_settings(database_settings: dict[str, Any]) -> Callable[..., Settings]:
    """Build Settings on the test's database; keyword sections override the defaults."""

    def factory(**sections: Any) -> Settings:
        sections.setdefault("telegram", {})
        sections["telegram"] = {"token": TEST_TOKEN, "poll_timeout": 1, **sections["telegram"]}
        sections.setdefault("database", dict(database_settings))
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
async def db(database_settings: dict[str, Any]) -> AsyncIterator[Database]:
    """A migrated database: an SQLite file, or a fresh PostgreSQL database."""
    database = open_database(DatabaseSettings(**database_settings))
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
