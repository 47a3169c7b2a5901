"""What every message the bot sends goes through: refusals, topics, replies, texts, flood.

Shared by the API methods that put a bot message into a chat (``messages.py``, ``media.py``,
``pins.py`` and the forum topics of ``chats.py``).
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request, invalid
from .html import utf16_len
from .state import FakeChat, StoredMessage
from .world import EmulatorState, Params, Parsed

__all__ = [
    "check_can_send",
    "flood_check",
    "new_bot_message",
    "prepare_send",
    "reply_to",
    "set_field",
    "shallow_message",
    "text_field",
    "thread",
    "trim_text",
]


def trim_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram does, keeping entity offsets right."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead16 = utf16_len(text[: len(text) - len(text.lstrip())])
    total16 = utf16_len(stripped)
    out = []
    for e in entities:
        start = max(e["offset"] - lead16, 0)
        end = min(e["offset"] + e["length"] - lead16, total16)
        if end > start:
            out.append({**e, "offset": start, "length": end - start})
    return stripped, out


def shallow_message(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a message fit for ``reply_to_message`` (no further nesting)."""
    return {k: v for k, v in data.items() if k != "reply_to_message"}


def set_field(msg: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` to a non-empty ``value``, or remove it."""
    if value:
        msg[key] = value
    else:
        msg.pop(key, None)


def check_can_send(chat: FakeChat) -> None:
    """Telegram's 403 refusals: blocked, deactivated or never started users, absent bot."""
    if chat.type == "private":
        user = chat.user
        assert user is not None, "a private chat always has its user"
        if user.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if user.is_bot:
            raise ApiError(403, "Forbidden: bot can't send messages to bots")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return
    kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
    if chat.bot_member.status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
    if not chat.bot_member.present:
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")


def thread(chat: FakeChat, thread_id: int | None) -> int | None:
    """The forum topic a message goes to (None: the chat itself or the General topic)."""
    if thread_id is None:
        return None
    # Thread id 1 is the General topic: Telegram wants it omitted, never sent.
    topic = chat.topics.get(thread_id) if chat.is_forum else None
    if thread_id == 1 or topic is None:
        raise invalid("message thread not found")
    if topic.is_closed and not chat.bot_member.can("can_manage_topics"):
        raise bad_request("TOPIC_CLOSED")
    return thread_id


def reply_to(
    s: EmulatorState, chat: FakeChat, params: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The ``reply_to_message`` of a send with these reply_parameters, if any."""
    if not params:
        return None
    target = s.api_chat(params["chat_id"]) if "chat_id" in params else chat
    stored = target.messages.get(params["message_id"])
    if stored is None:
        if params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return shallow_message(stored.data)


def flood_check(s: EmulatorState, chat: FakeChat, params: Params) -> None:
    """Refuse with 429 a message the flood limits do not allow now."""
    if s.flood is None:
        return
    retry = s.flood.check(
        chat.id, is_group=chat.is_group, paid=bool(params.get("allow_paid_broadcast"))
    )
    if retry is not None:
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)


def text_field(
    p: Params, parsed: Parsed, field: str, ents_field: str
) -> tuple[str, list[dict[str, Any]]]:
    """A text parameter with its entities: parsed from HTML or given, then trimmed."""
    if field in parsed:
        text, entities = parsed[field]
    else:
        text, entities = p[field], list(p.get(ents_field) or [])
        size = utf16_len(text)
        for e in entities:
            if e["offset"] < 0 or e["length"] <= 0 or e["offset"] + e["length"] > size:
                raise invalid(f"can't parse entities: entity {e} is outside of the text")
    return trim_text(text, entities)


def prepare_send(
    s: EmulatorState, p: Params
) -> tuple[FakeChat, int | None, dict[str, Any] | None]:
    """The chat, topic and replied message of a send, after Telegram's refusals."""
    chat = s.api_chat(p["chat_id"])
    check_can_send(chat)
    topic = thread(chat, p.get("message_thread_id"))
    reply = reply_to(s, chat, p.get("reply_parameters"))
    return chat, topic, reply


def new_bot_message(
    s: EmulatorState,
    chat: FakeChat,
    thread_id: int | None,
    reply: dict[str, Any] | None,
    p: Params,
    content: dict[str, Any],
) -> dict[str, Any]:
    """Store a message from the bot in ``chat`` and return its Message object."""
    mid = chat.take_message_id()
    msg: dict[str, Any] = {
        "message_id": mid,
        "from": s.bot_user.to_api(),
        "date": s.ts(),
        "chat": chat.to_api(),
    }
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
    if reply is not None:
        msg["reply_to_message"] = reply
    if p.get("protect_content"):
        msg["has_protected_content"] = True
    msg.update(content)
    markup = p.get("reply_markup")
    inline = markup if markup and "inline_keyboard" in markup else None
    if inline is not None:
        msg["reply_markup"] = inline
    keyboard = markup if markup and inline is None else None
    chat.messages[mid] = StoredMessage(msg, True, reply_keyboard=keyboard)
    s.notify_changed()
    return msg
