"""Fixtures for the trainer tools: services over a migrated database and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.storage import Database
from bot.storage.users import UserRepository
from bot.training.service import TrainingServices
from tests.conftest import composed
from tests.fakes import ScriptedSender

ADMIN_ID = 900
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Jakarta


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at Monday 2 March 2026, 08:00 WIB."""
    return FixedClock(START)


@pytest.fixture
def sender() -> ScriptedSender:
    """The bulk sender the trainer services send through (a script of the test's)."""
    return ScriptedSender()


@pytest.fixture
def training(db: Database, clock: FixedClock, sender: ScriptedSender) -> TrainingServices:
    """The trainer services with one configured admin."""
    settings = Settings(access={"admin_ids": [ADMIN_ID]})
    return composed(db, clock, settings, sender=sender).training


async def add_user(db: Database, user_id: int, name: str, clock: FixedClock, *,
                   unit: str | None = None, onboarded: bool = True) -> None:
    """Insert a user as the middleware would, optionally onboarded with a unit."""
    users = UserRepository(db)
    await users.touch(user_id=user_id, first_name=name, last_name=None, username=None,
                      telegram_language="id", timezone="Asia/Jakarta", now=clock.now())
    if unit is not None:
        await users.update_profile(user_id, unit=unit)
    if onboarded:
        await users.mark_onboarded(user_id, clock.now())
