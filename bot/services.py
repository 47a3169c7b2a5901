"""The services container: everything a handler may call, opened in post_init."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Settings
from bot.content.loader import Catalogue, load_catalogue
from bot.delivery.stats import DeliveryStats
from bot.discussion import Discussion
from bot.learning.service import LearningService
from bot.privacy import PrivacyService
from bot.safety import FloodGate
from bot.scheduling.facts import LearningFacts
from bot.scheduling.nudges import NudgeService
from bot.scheduling.preferences import NudgePreferences
from bot.storage.db import Database
from bot.storage.delivery import DeliveryStatsRepository
from bot.storage.nudges import NudgeRepository
from bot.storage.privacy import PrivacyRepository
from bot.storage.users import ChatRepository, UserRepository
from bot.training.service import TrainingServices

if TYPE_CHECKING:
    from bot.delivery.sender import BulkSender
    from bot.scheduling.tick import NudgeRunner

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
    catalogue: Catalogue
    learning: LearningService
    training: TrainingServices  # trainer tools: roles, cohorts, broadcasts, stats, uploads
    metrics: Metrics = field(default_factory=Metrics)
    # Daily nudges and the bulk delivery path; the sender and the runner need the bot, so
    # bot.scheduling.tick.schedule_jobs attaches them in post_init.
    delivery_stats: DeliveryStats = field(init=False)
    nudges: NudgeService = field(init=False)
    nudge_prefs: NudgePreferences = field(init=False)
    sender: BulkSender | None = field(default=None, init=False)
    nudge_runner: NudgeRunner | None = field(default=None, init=False)
    # Group discussions: threads, participation, lesson and weekly prompts.
    discussion: Discussion = field(init=False)
    # Personal data rights: /mydata export, /deleteme erasure, the retention purge.
    privacy: PrivacyService = field(init=False)
    # Inbound flood control: updates per person, checked first by bot.handlers.flood.
    flood: FloodGate = field(init=False)

    def __post_init__(self) -> None:
        """Build the nudge services on the opened database."""
        repo = NudgeRepository(self.db)
        self.delivery_stats = DeliveryStats(
            DeliveryStatsRepository(self.db), self.clock, self.settings.zone
        )
        self.nudges = NudgeService(repo, None, LearningFacts(self.learning),
                                   self.delivery_stats, self.settings, self.clock)
        self.nudge_prefs = NudgePreferences(repo, self.clock, self.settings)
        self.discussion = Discussion.build(
            self.db, self.chats, self.catalogue, self.clock, zone=self.settings.zone,
            default_language=self.settings.locale.default_language,
            store_text=self.settings.privacy.store_discussion_text,
            weekday=self.settings.discussion.weekly_prompt_day,
            at=self.settings.discussion.weekly_prompt_time,
        )
        self.privacy = PrivacyService(
            PrivacyRepository(self.db), self.clock,
            retention_months=self.settings.privacy.retention_months,
            staff_ids=self.settings.access.admin_ids,
        )
        safety = self.settings.safety
        self.flood = FloodGate(self.clock.now, limit=safety.flood_updates,
                               window=timedelta(seconds=safety.flood_window_seconds))

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
        try:
            catalogue = load_packs(settings)
        except BaseException:
            await db.close()
            raise
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            users=UserRepository(db),
            chats=ChatRepository(db),
            catalogue=catalogue,
            learning=LearningService(db, catalogue, clock, settings.learning,
                                     settings.locale.timezone),
            training=TrainingServices.build(db, settings, clock),
        )

    async def close(self) -> None:
        """Close what ``open`` opened."""
        try:
            await self.delivery_stats.flush()
        except Exception:  # noqa: BLE001 - counters are not worth a failed shutdown
            logger.warning("could not save the delivery counters", exc_info=True)
        await self.db.close()


def load_packs(settings: Settings) -> Catalogue:
    """The shipped course packs plus settings.content.extra_packs (same key: the extra wins)."""
    courses = {c.key: c for c in load_catalogue()}
    if settings.content.extra_packs is not None:
        courses.update({c.key: c for c in load_catalogue(settings.content.extra_packs)})
    catalogue = Catalogue.of(courses.values())
    logger.info("loaded %d course(s)", len(catalogue))
    return catalogue
