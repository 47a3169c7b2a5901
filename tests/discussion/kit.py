"""The discussion services as the bot composes them, with the repositories tests read."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.discussion import Discussion
from bot.storage import Database
from bot.storage.discussion import DiscussionRepository
from bot.storage.users import ChatRepository
from tests.conftest import composed


@dataclass
class DiscussionKit:
    """``Discussion``'s services, plus what a test inspects directly."""

    discussion: Discussion
    repo: DiscussionRepository
    chats: ChatRepository

    def __getattr__(self, name: str) -> object:
        return getattr(self.discussion, name)


def discussion_kit(db: Database, clock: Clock) -> DiscussionKit:
    """Compose the services over ``db`` and hand them out with their repositories."""
    return DiscussionKit(composed(db, clock).discussion, DiscussionRepository(db),
                         ChatRepository(db))
