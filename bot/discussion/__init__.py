"""Group discussions: threads in forum topics or reply chains, participation, prompts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.loader import Catalogue
from bot.discussion.migration import ChatMigrations
from bot.discussion.participation import ParticipationService
from bot.discussion.prompts import PromptService
from bot.discussion.threads import ThreadService
from bot.safety.rate import MemberRate
from bot.storage.chat_migration import ChatMigrationRepository
from bot.storage.db import Database
from bot.storage.discussion import DiscussionRepository
from bot.storage.users import ChatRepository


@dataclass
class Discussion:
    """Everything the discussion handlers and jobs use."""

    repo: DiscussionRepository
    threads: ThreadService
    participation: ParticipationService
    prompts: PromptService
    # More than 5 commands in 30 s from one member: one "slow down" note, then a minute of quiet.
    # The same counting rule as the inbound flood gate (bot.safety), with a group's budget.
    commands: MemberRate
    # Groups upgraded to supergroups: their state follows them to the new chat id.
    migrations: ChatMigrations

    @classmethod
    def build(
        cls, db: Database, chats: ChatRepository, catalogue: Catalogue, clock: Clock, *,
        zone: ZoneInfo, default_language: str = "id", store_text: bool = False,
        weekday: str = "mon", at: time = time(9, 0),
    ) -> Discussion:
        """Wire the discussion services over one database."""
        repo = DiscussionRepository(db)
        migrations = ChatMigrations(ChatMigrationRepository(db), clock)
        threads = ThreadService(repo, chats, clock, default_language=default_language,
                                migrations=migrations)
        return cls(
            repo=repo,
            threads=threads,
            participation=ParticipationService(repo, threads, store_text=store_text),
            prompts=PromptService(repo, threads, catalogue, zone=zone, weekday=weekday, at=at),
            commands=MemberRate(5, timedelta(seconds=30), timedelta(minutes=1), clock.now),
            migrations=migrations,
        )
