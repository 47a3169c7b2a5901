"""A group upgraded to a supergroup: the service messages, and the bulk sender's ChatMigrated.

Telegram announces an upgrade twice: in the old group (``migrate_to_chat_id``) and in the new
supergroup (``migrate_from_chat_id``), in either order. Both, and a send that fails with
ChatMigrated, apply the same idempotent move (bot.discussion.migration); this module only
turns them into calls and asks Telegram what the new chat is when a message does not say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError

from bot.context import SinauContext
from bot.storage.chat_migration import MigrationOutcome

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewChat:
    """What is known of the supergroup (None: unknown, keep what is stored)."""

    type: str = "supergroup"
    title: str | None = None
    is_forum: bool | None = None


async def describe(bot: Any, chat_id: int) -> NewChat:
    """Ask Telegram what the supergroup is (a forum or not); best effort."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramError as exc:
        logger.info("getChat %s after an upgrade failed: %s", chat_id, exc)
        return NewChat()
    return NewChat(chat.type, chat.title, bool(chat.is_forum))


async def follow(bot: Any, services: Services, old_chat_id: int, new_chat_id: int,
                 known: NewChat | None = None) -> MigrationOutcome:
    """Apply the upgrade of ``old_chat_id`` (asking Telegram about the new chat if needed)."""
    info = known if known is not None else await describe(bot, new_chat_id)
    return await services.discussion.migrations.apply(
        old_chat_id, new_chat_id, type_=info.type, title=info.title, is_forum=info.is_forum
    )


async def on_migrate(update: Update, context: SinauContext) -> None:
    """A service message with migrate_to_chat_id or migrate_from_chat_id: follow the group."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_from_chat_id:
        # Sent in the supergroup: the message itself says what the new chat is.
        chat = message.chat
        known = NewChat(chat.type, chat.title, bool(chat.is_forum))
        await follow(context.bot, context.services, message.migrate_from_chat_id, chat.id,
                     known)
    elif message.migrate_to_chat_id:
        await follow(context.bot, context.services, message.chat_id,
                     message.migrate_to_chat_id)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_init, after the bulk sender exists: its ChatMigrated errors move the group too."""
    services = app.bot_data.services
    if services is None or services.sender is None:
        return

    async def migrated(old_chat_id: int, new_chat_id: int) -> None:
        await follow(app.bot, services, old_chat_id, new_chat_id)

    services.sender.on_migrated = migrated
