"""``TrainingServices``: the trainer tools' services, built once in ``Services.open``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.content.loader import Catalogue
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.db import Database
from bot.storage.training import TrainingRepository
from bot.storage.training_stats import CohortStatsRepository
from bot.training.broadcasts import BroadcastService
from bot.training.cohorts import CohortService
from bot.training.prompts import PromptBook
from bot.training.roles import RoleService
from bot.training.stats import StatsService


@dataclass
class TrainingServices:
    """Roles, cohorts, open trainer questions (and, as they land, broadcasts, stats, uploads)."""

    repo: TrainingRepository
    roles: RoleService
    cohorts: CohortService
    prompts: PromptBook
    stats: StatsService
    broadcasts: BroadcastService

    @classmethod
    def build(cls, db: Database, settings: Settings, clock: Clock) -> TrainingServices:
        """Wire the trainer services over an open database."""
        repo = TrainingRepository(db)
        return cls(
            repo=repo,
            roles=RoleService(repo, settings.access.admin_ids, clock),
            cohorts=CohortService(repo, clock),
            prompts=PromptBook(repo, clock),
            stats=StatsService(
                CohortStatsRepository(db), repo, lambda: Catalogue.of([]), clock, settings.zone,
                minutes_per_jp=settings.learning.minutes_per_jp,
                jp_target=settings.learning.annual_jp_target,
            ),
            broadcasts=BroadcastService(BroadcastRepository(db), clock,
                                        workers=settings.delivery.workers),
        )
