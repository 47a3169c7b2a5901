"""``TrainingServices``: the trainer tools' services, built once in ``Services.open``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.training import TrainingRepository
from bot.training.cohorts import CohortService
from bot.training.prompts import PromptBook
from bot.training.roles import RoleService


@dataclass
class TrainingServices:
    """Roles, cohorts, open trainer questions (and, as they land, broadcasts, stats, uploads)."""

    repo: TrainingRepository
    roles: RoleService
    cohorts: CohortService
    prompts: PromptBook

    @classmethod
    def build(cls, db: Database, settings: Settings, clock: Clock) -> TrainingServices:
        """Wire the trainer services over an open database."""
        repo = TrainingRepository(db)
        return cls(
            repo=repo,
            roles=RoleService(repo, settings.access.admin_ids, clock),
            cohorts=CohortService(repo, clock),
            prompts=PromptBook(repo, clock),
        )
