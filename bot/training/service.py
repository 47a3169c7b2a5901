"""``TrainingServices``: the trainer tools' services, as bot.wiring builds them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.training.broadcasts import BroadcastService
from bot.training.cohorts import CohortService
from bot.training.prompts import PromptBook
from bot.training.roles import RoleService
from bot.training.siasn import SiasnService
from bot.training.stats import StatsService
from bot.training.upload import CoursePacks


@dataclass(frozen=True, slots=True)
class TrainingServices:
    """Roles, cohorts, open trainer questions, broadcasts, stats, course-pack uploads and the
    HR records (SIASN, JP per person)."""

    roles: RoleService
    cohorts: CohortService
    prompts: PromptBook
    stats: StatsService
    broadcasts: BroadcastService
    uploads: CoursePacks
    siasn: SiasnService
