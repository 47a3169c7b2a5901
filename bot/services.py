"""The services container: everything a handler may call, opened in post_init."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.users import ChatRepository, UserRepository

logger = logging.getLogger(__name__)


@dataclass
class Metrics:
    """Counters kept in memory for health checks and tests."""

    updates: int = 0
    unexpected_errors: int = 0


@dataclass
class Services:
    """Repositories and services shared by all handlers and jobs."""

    settings: Settings
    clock: Clock
    db: Database
    users: UserRepository
    chats: ChatRepository
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock) -> Services:
        """Open the database, apply migrations and build the services."""
        db = Database(settings.database.path)
        await db.open()
        try:
            version = await db.migrate()
        except BaseException:
            await db.close()
            raise
        logger.info("database ready at schema version %d", version)
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            users=UserRepository(db),
            chats=ChatRepository(db),
        )

    async def close(self) -> None:
        """Close what ``open`` opened."""
        await self.db.close()
