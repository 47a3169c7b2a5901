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
from .sending import check_can_send, new_bot_message
from .state import FakeChat, StoredMessage
from .world import EmulatorState, Handler, Params, Parsed

__all__ = ["HANDLERS", "NO_RIGHTS", "SERVICE_KEYS", "is_service"]

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


def _pin_chat(s: EmulatorState, p: Params) -> FakeChat:
    """The chat of a pin request: reachable by the bot (403 otherwise)."""
    chat = s.api_chat(p["chat_id"])
    # The same refusals as for sending: a group the bot is not in (403), a private chat
    # whose user blocked the bot or never started it.
    check_can_send(chat)
    return chat


def _check_pin_rights(chat: FakeChat) -> None:
    if chat.is_group and not chat.bot_member.can("can_pin_messages"):
        raise bad_request(NO_RIGHTS)


def pin_chat_message(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """pinChatMessage: a pinned_message service message from the bot, as an update too."""
    chat = _pin_chat(s, p)
    stored = chat.messages.get(p["message_id"])
    if stored is None:
        raise bad_request("message to pin not found")
    _check_pin_rights(chat)
    if is_service(stored):
        raise bad_request("a service message can't be pinned")
    if p["message_id"] in chat.pinned_message_ids:
        return True
    chat.pinned_message_ids.add(p["message_id"])
    pinned = {k: v for k, v in stored.data.items() if k != "reply_to_message"}
    # In a forum the service message appears in the pinned message's topic.
    topic_message = stored.data.get("is_topic_message")
    thread = stored.data.get("message_thread_id") if topic_message else None
    service = new_bot_message(s, chat, thread, None, {}, {"pinned_message": pinned})
    s.push_update("message", copy.deepcopy(service))
    return True


def unpin_chat_message(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """unpinChatMessage: the given message, or the newest pin."""
    chat = _pin_chat(s, p)
    message_id = p.get("message_id") or None  # 0 or absent: the newest pin
    if message_id is None:
        message_id = chat.newest_pinned()
        if message_id is None:
            raise bad_request("message to unpin not found")
    stored = chat.messages.get(message_id)
    if stored is None:
        raise bad_request("message to unpin not found")
    _check_pin_rights(chat)
    if is_service(stored):
        raise bad_request("a service message can't be pinned")
    chat.pinned_message_ids.discard(message_id)
    s.notify_changed()
    return True


def unpin_all_chat_messages(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """unpinAllChatMessages."""
    chat = _pin_chat(s, p)
    _check_pin_rights(chat)
    chat.pinned_message_ids.clear()
    s.notify_changed()
    return True


HANDLERS: dict[str, Handler] = {
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "unpinAllChatMessages": unpin_all_chat_messages,
}
