"""Bot API methods that pin and unpin messages: pinChatMessage, unpinChatMessage, unpinAll.

As Telegram does it: in groups and supergroups the bot must be an administrator with
``can_pin_messages`` (a creator holds every right), in private chats any non-service message
can be pinned. A pin adds a service message with ``pinned_message`` from the bot, which the
bot receives as a ``message`` update like any other group service message (the official
server delivers a bot's own pin messages, unlike its other outgoing messages). Unpinning
leaves no trace in the chat: Telegram has no service message for it.

Not visible in Telegram's open code and kept lenient here: pinning a message that is already
pinned, or unpinning one that is not, answers True and changes nothing.
"""

from __future__ import annotations

import copy

from .errors import bad_request
from .state import FakeChat, StoredMessage

NO_RIGHTS = "not enough rights to manage pinned messages in the chat"
# Message fields that make a message a service message (those the emulator produces and a
# few more Telegram has); such messages cannot be pinned.
SERVICE_KEYS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "video_chat_started",
        "video_chat_ended",
    }
)


def is_service(stored: StoredMessage) -> bool:
    """True for a service message (a member joined, a pin, a topic created...)."""
    return not SERVICE_KEYS.isdisjoint(stored.data)


class PinsMixin:
    """pinChatMessage, unpinChatMessage and unpinAllChatMessages."""

    def _pin_chat(self, p: dict) -> FakeChat:
        """The chat of a pin request: reachable by the bot (403 otherwise)."""
        chat = self._chat(p["chat_id"])
        # The same refusals as for sending: a group the bot is not in (403), a private chat
        # whose user blocked the bot or never started it.
        self._check_can_send(chat)
        return chat

    def _check_pin_rights(self, chat: FakeChat) -> None:
        if chat.is_group and not chat.bot_member.can("can_pin_messages"):
            raise bad_request(NO_RIGHTS)

    def _api_pinChatMessage(self, p: dict, parsed: dict) -> bool:
        chat = self._pin_chat(p)
        stored = chat.messages.get(p["message_id"])
        if stored is None:
            raise bad_request("message to pin not found")
        self._check_pin_rights(chat)
        if is_service(stored):
            raise bad_request("a service message can't be pinned")
        if p["message_id"] in chat.pinned_message_ids:
            return True
        chat.pinned_message_ids.add(p["message_id"])
        pinned = {k: v for k, v in stored.data.items() if k != "reply_to_message"}
        # In a forum the service message appears in the pinned message's topic.
        thread = stored.data.get("message_thread_id") if stored.data.get(
            "is_topic_message") else None
        service = self._new_bot_message(chat, thread, None, {}, {"pinned_message": pinned})
        self._push_update("message", copy.deepcopy(service))
        return True

    def _api_unpinChatMessage(self, p: dict, parsed: dict) -> bool:
        chat = self._pin_chat(p)
        message_id = p.get("message_id") or None  # 0 or absent: the newest pin
        if message_id is None:
            message_id = chat.newest_pinned()
            if message_id is None:
                raise bad_request("message to unpin not found")
        stored = chat.messages.get(message_id)
        if stored is None:
            raise bad_request("message to unpin not found")
        self._check_pin_rights(chat)
        if is_service(stored):
            raise bad_request("a service message can't be pinned")
        chat.pinned_message_ids.discard(message_id)
        self._notify_changed()
        return True

    def _api_unpinAllChatMessages(self, p: dict, parsed: dict) -> bool:
        chat = self._pin_chat(p)
        self._check_pin_rights(chat)
        chat.pinned_message_ids.clear()
        self._notify_changed()
        return True

    # ----------------------------------------------------------------- driver
    def pinned(self, chat_or_id: object) -> list[int]:
        """Ids of the chat's pinned messages still in it, oldest first."""
        chat = self.chat(chat_or_id)
        return sorted(m for m in chat.pinned_message_ids if m in chat.messages)
