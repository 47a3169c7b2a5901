"""The Telegram side of group discussions: the discussion services' port, and following a
group that Telegram upgraded to a supergroup.

``TelegramPort`` is the ``GroupPort`` the thread and prompt services talk to (interactive
replies through the bot, the weekly prompt through the bulk sender). ``GroupFollower`` applies
an upgrade learned from a service message, a refused send or the sender's ChatMigrated, asking
Telegram what the new chat is when the message does not say.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import ChatMember, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot.delivery.models import OutgoingMessage, Sender
from bot.discussion.migration import ChatMigrations, ChatMoved
from bot.storage.chat_migration import MigrationOutcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewChat:
    """What is known of the supergroup (None: unknown, keep what is stored)."""

    type: str = "supergroup"
    title: str | None = None
    is_forum: bool | None = None


async def describe_chat(bot: Any, chat_id: int) -> NewChat:
    """Ask Telegram what the supergroup is (a forum or not); best effort."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramError as exc:
        logger.info("getChat %s after an upgrade failed: %s", chat_id, exc)
        return NewChat()
    return NewChat(chat.type, chat.title, bool(chat.is_forum))


class GroupFollower:
    """Applies a group's upgrade to a supergroup (idempotent, whoever learns of it first)."""

    def __init__(self, bot: Any, migrations: ChatMigrations) -> None:
        self._bot = bot
        self._migrations = migrations

    async def follow(self, old_chat_id: int, new_chat_id: int,
                     known: NewChat | None = None) -> MigrationOutcome:
        """Move ``old_chat_id``'s state to ``new_chat_id`` (asking Telegram if needed)."""
        info = known if known is not None else await describe_chat(self._bot, new_chat_id)
        return await self._migrations.apply(old_chat_id, new_chat_id, type_=info.type,
                                            title=info.title, is_forum=info.is_forum)

    async def apply_moved(self, moved: ChatMoved) -> MigrationOutcome:
        """Apply what a port reported."""
        return await self._migrations.apply_moved(moved)


Follow = Callable[[int, int], Awaitable[object]]


class TelegramPort:
    """The ``GroupPort`` of the discussion services, over the bot (or the bulk sender).

    A group found upgraded to a supergroup (ChatMigrated): without ``follow`` the port raises
    ``ChatMoved`` and the thread service applies the upgrade and opens the thread in the
    supergroup at once. With ``follow`` (the weekly tick) the port applies it itself and
    reports the send as not done; the tick then runs again for the new id, so the week's
    ledger row of the old group records that nothing went out there.
    """

    def __init__(self, bot: ExtBot[None], sender: Sender | None = None, *,
                 follow: Follow | None = None) -> None:
        self._bot = bot
        self._sender = sender
        self._follow = follow
        self.moved: dict[int, int] = {}  # old chat id -> supergroup id, seen by this port

    async def _moved(self, chat_id: int, new_chat_id: int) -> None:
        """Record an upgrade; raise ChatMoved unless this port follows it itself."""
        self.moved[chat_id] = new_chat_id
        if self._follow is not None:
            await self._follow(chat_id, new_chat_id)
            return
        info = await describe_chat(self._bot, new_chat_id)
        raise ChatMoved(chat_id, new_chat_id, type_=info.type, title=info.title,
                        is_forum=info.is_forum)

    async def can_manage_topics(self, chat_id: int) -> bool:
        """Ask Telegram whether the bot holds can_manage_topics in the chat."""
        try:
            member = await self._bot.get_chat_member(chat_id, self._bot.id)
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return False
        except TelegramError as exc:
            logger.warning("getChatMember in %s failed: %s", chat_id, exc)
            return False
        if member.status == ChatMember.OWNER:
            return True
        return member.status == ChatMember.ADMINISTRATOR and bool(
            getattr(member, "can_manage_topics", False)
        )

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        """Create a forum topic; None when Telegram refuses (e.g. the right was just removed)."""
        try:
            topic = await self._bot.create_forum_topic(chat_id, name)
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return None
        except BadRequest as exc:
            logger.warning("createForumTopic in %s refused: %s", chat_id, exc)
            return None
        return topic.message_thread_id

    async def send(
        self, chat_id: int, text: str, *, topic_id: int | None = None,
        reply_to: int | None = None,
    ) -> int | None:
        """Send ``text``; the General topic (id 1) is never named, it is the default."""
        thread = topic_id if topic_id not in (None, 1) else None
        if self._sender is not None and reply_to is None:
            # Not followed by the sender: a thread's anchor must be recorded in its own chat.
            result = await self._sender.send(OutgoingMessage(
                chat_id, text, kind="discussion", message_thread_id=thread,
                follow_migration=False))
            if result is None:
                return None
            if result.migrated_to is not None:
                await self._moved(chat_id, result.migrated_to)
            return result.message_id if result.sent else None
        reply = (ReplyParameters(reply_to, allow_sending_without_reply=True)
                 if reply_to is not None else None)
        try:
            message = await self._bot.send_message(
                chat_id, text, message_thread_id=thread, reply_parameters=reply
            )
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return None
        except (BadRequest, Forbidden) as exc:
            logger.warning("send to group %s failed: %s", chat_id, exc)
            return None
        return message.message_id

    async def close_topic(self, chat_id: int, topic_id: int) -> bool:
        """Close a forum topic."""
        try:
            return bool(await self._bot.close_forum_topic(chat_id, topic_id))
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return False
        except BadRequest as exc:
            logger.warning("closeForumTopic in %s refused: %s", chat_id, exc)
            return False

    async def pin(self, chat_id: int, message_id: int) -> bool:
        """Pin quietly; False when refused (the bot lacks can_pin_messages, most often)."""
        # Trying is the rights check: one request, answered when it matters; a cached
        # getChatMember answer would go stale whenever an admin changes the bot's rights.
        return await self._pin_call("pinChatMessage", self._bot.pin_chat_message(
            chat_id, message_id, disable_notification=True), chat_id)

    async def unpin(self, chat_id: int, message_id: int) -> bool:
        """Unpin; False when refused (e.g. the bot never had the right to pin it)."""
        return await self._pin_call("unpinChatMessage", self._bot.unpin_chat_message(
            chat_id, message_id=message_id), chat_id)

    @staticmethod
    async def _pin_call(method: str, call: Awaitable[bool], chat_id: int) -> bool:
        try:
            return bool(await call)
        except (BadRequest, Forbidden, ChatMigrated) as exc:
            # Usually "not enough rights to manage pinned messages": pinning is optional.
            logger.info("%s in %s not done: %s", method, chat_id, exc)
        except TelegramError as exc:
            logger.warning("%s in %s failed: %s", method, chat_id, exc)
        return False
