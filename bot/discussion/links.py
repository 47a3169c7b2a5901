"""Public links to threads: t.me/c/<internal id>/<topic or message id>.

Only supergroups have such links. Their chat id is -100 followed by the internal id; a basic
group (a negative id without the -100 prefix) has no message links at all, so the caller says
where to look instead (the anchor message).
"""

from __future__ import annotations

_PREFIX = "-100"


def internal_id(chat_id: int) -> str | None:
    """The id used in t.me/c/ links, or None for chats that have no message links."""
    text = str(chat_id)
    if not text.startswith(_PREFIX) or len(text) <= len(_PREFIX):
        return None
    return text[len(_PREFIX):]


def message_link(chat_id: int, message_id: int, topic_id: int | None = None) -> str | None:
    """A link to one message (inside a forum topic when ``topic_id`` is given)."""
    internal = internal_id(chat_id)
    if internal is None:
        return None
    if topic_id is not None and topic_id != 1:
        return f"https://t.me/c/{internal}/{topic_id}/{message_id}"
    return f"https://t.me/c/{internal}/{message_id}"


def thread_link(
    chat_id: int, *, topic_id: int | None, anchor_message_id: int | None
) -> str | None:
    """A link that opens a thread: its forum topic, or its anchor message in a supergroup."""
    internal = internal_id(chat_id)
    if internal is None:
        return None
    if topic_id is not None:
        return f"https://t.me/c/{internal}/{topic_id}"
    if anchor_message_id is not None:
        return f"https://t.me/c/{internal}/{anchor_message_id}"
    return None
