"""A group upgraded to a supergroup: the migrate_to / migrate_from service messages.

Telegram announces an upgrade twice: in the old group (``migrate_to_chat_id``) and in the new
supergroup (``migrate_from_chat_id``), in either order. Both, and a send that fails with
ChatMigrated, apply the same idempotent move (bot.delivery.groups.GroupFollower).
"""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext
from bot.delivery.groups import NewChat


async def on_migrate(update: Update, context: SinauContext) -> None:
    """A service message with migrate_to_chat_id or migrate_from_chat_id: follow the group."""
    message, groups = update.effective_message, context.services.groups
    if message is None or groups is None:
        return
    if message.migrate_from_chat_id:
        # Sent in the supergroup: the message itself says what the new chat is.
        chat = message.chat
        await groups.follow(message.migrate_from_chat_id, chat.id,
                            NewChat(chat.type, chat.title, bool(chat.is_forum)))
    elif message.migrate_to_chat_id:
        await groups.follow(message.chat_id, message.migrate_to_chat_id)
