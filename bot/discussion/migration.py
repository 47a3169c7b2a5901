"""Following a group that Telegram upgraded to a supergroup (a new chat id).

The bot learns of an upgrade in three ways: the service message in the old group
(``migrate_to_chat_id``), the one in the supergroup (``migrate_from_chat_id``), or a send to
the old id failing with "group chat was upgraded" and the new id. Each of them applies the
same idempotent move (``bot.storage.chat_migration``); whichever comes first does the work.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.storage.chat_migration import ChatMigrationRepository, MigrationOutcome

logger = logging.getLogger(__name__)


class ChatMoved(Exception):
    """A port found that a group now lives under another chat id (what it knows of it)."""

    def __init__(self, old_chat_id: int, new_chat_id: int, *, type_: str = "supergroup",
                 title: str | None = None, is_forum: bool | None = None) -> None:
        super().__init__(f"chat {old_chat_id} was upgraded to {new_chat_id}")
        self.old_chat_id = old_chat_id
        self.new_chat_id = new_chat_id
        self.type = type_
        self.title = title
        self.is_forum = is_forum


class ChatMigrations:
    """Applies group upgrades; plain Python over the repository and the clock."""

    def __init__(self, repo: ChatMigrationRepository, clock: Clock) -> None:
        self._repo = repo
        self.clock = clock

    async def apply(
        self, old_chat_id: int, new_chat_id: int, *, type_: str = "supergroup",
        title: str | None = None, is_forum: bool | None = None,
    ) -> MigrationOutcome:
        """Move the group's state from its old id to the supergroup's (idempotent)."""
        outcome = await self._repo.migrate(old_chat_id, new_chat_id, type_=type_, title=title,
                                          is_forum=is_forum, now=self.clock.now())
        if outcome.first_time:
            logger.info(
                "group %s upgraded to supergroup %s: settings moved %s, %d thread(s) closed,"
                " %d cohort link(s), %d pending broadcast row(s) moved",
                old_chat_id, new_chat_id, outcome.settings_moved, outcome.threads_closed,
                outcome.cohorts_moved, outcome.recipients_moved,
            )
        return outcome

    async def apply_moved(self, moved: ChatMoved) -> MigrationOutcome:
        """Apply what a port reported."""
        return await self.apply(moved.old_chat_id, moved.new_chat_id, type_=moved.type,
                                title=moved.title, is_forum=moved.is_forum)

    async def successor(self, chat_id: int) -> int | None:
        """The supergroup a basic group became, if it was upgraded."""
        return await self._repo.successor(chat_id)
