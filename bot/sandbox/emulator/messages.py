"""Bot API methods that send, edit and delete messages and answer callback queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .errors import bad_request, invalid
from .sending import (
    check_can_send,
    flood_check,
    new_bot_message,
    prepare_send,
    set_field,
    text_field,
    thread,
)
from .state import FakeChat, StoredMessage
from .world import EmulatorState, Handler, Params, Parsed

__all__ = ["CALLBACK_TTL", "CHAT_ACTIONS", "CONTENT_KEYS", "HANDLERS", "NOT_MODIFIED"]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CALLBACK_TTL = timedelta(minutes=15)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Content keys carried over by copyMessage/forwardMessage.
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "document",
    "photo",
    "poll",
    "sticker",
    "link_preview_options",
)


# -------------------------------------------------------------------- helpers
def _stored(s: EmulatorState, p: Params, not_found: str) -> tuple[FakeChat, StoredMessage]:
    """The message a request names by chat_id and message_id (inline messages refused)."""
    if "inline_message_id" in p:
        raise invalid("inline messages are not supported by the emulator")
    if "chat_id" not in p or "message_id" not in p:
        raise invalid("message identifier is not specified")
    chat = s.api_chat(p["chat_id"])
    stored = chat.messages.get(p["message_id"])
    if stored is None:
        raise bad_request(not_found)
    return chat, stored


def _editable(s: EmulatorState, p: Params) -> tuple[FakeChat, StoredMessage]:
    chat, stored = _stored(s, p, "message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return chat, stored


def _commit_edit(s: EmulatorState, stored: StoredMessage, new: dict[str, Any]) -> dict[str, Any]:
    new["edit_date"] = s.ts()
    stored.data = new
    s.notify_changed()
    return new


def _delete_one(s: EmulatorState, chat: FakeChat, message_id: int) -> None:
    stored = chat.messages.get(message_id)
    if stored is None:
        raise bad_request("message to delete not found")
    if not stored.from_bot and chat.is_group and not chat.bot_member.can("can_delete_messages"):
        raise bad_request("message can't be deleted")
    del chat.messages[message_id]
    chat.pinned_message_ids.discard(message_id)  # deleting a message unpins it
    s.deleted_messages.append((chat.id, message_id))
    s.notify_changed()


def _source(s: EmulatorState, p: Params) -> StoredMessage:
    source_chat = s.api_chat(p["from_chat_id"])
    stored = source_chat.messages.get(p["message_id"])
    if stored is None:
        raise bad_request("message to copy not found")
    return stored


# -------------------------------------------------------------------- methods
def send_message(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """sendMessage."""
    chat, topic, reply = prepare_send(s, p)
    text, entities = text_field(p, parsed, "text", "entities")
    flood_check(s, chat, p)
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    if p.get("link_preview_options"):
        content["link_preview_options"] = p["link_preview_options"]
    return new_bot_message(s, chat, topic, reply, p, content)


def edit_message_text(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """editMessageText."""
    if "text" not in p:
        raise invalid("message text is empty")
    _, stored = _editable(s, p)
    old = stored.data
    if "text" not in old:
        raise bad_request("there is no text in the message to edit")
    text, entities = text_field(p, parsed, "text", "entities")
    markup = p.get("reply_markup")
    if (
        old["text"] == text
        and old.get("entities", []) == entities
        and old.get("reply_markup") == markup
    ):
        raise bad_request(NOT_MODIFIED)
    new = dict(old)
    new["text"] = text
    set_field(new, "entities", entities)
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    set_field(new, "reply_markup", markup)
    if p.get("link_preview_options"):
        new["link_preview_options"] = p["link_preview_options"]
    return _commit_edit(s, stored, new)


def edit_message_caption(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """editMessageCaption."""
    _, stored = _editable(s, p)
    old = stored.data
    if "text" in old or "poll" in old:
        raise bad_request("there is no caption in the message to edit")
    caption: str = ""
    entities: list[dict[str, Any]] = []
    if "caption" in p:
        caption, entities = text_field(p, parsed, "caption", "caption_entities")
    markup = p.get("reply_markup")
    if (
        old.get("caption", "") == caption
        and old.get("caption_entities", []) == entities
        and old.get("reply_markup") == markup
    ):
        raise bad_request(NOT_MODIFIED)
    new = dict(old)
    set_field(new, "caption", caption)
    set_field(new, "caption_entities", entities)
    set_field(new, "reply_markup", markup)
    return _commit_edit(s, stored, new)


def edit_message_reply_markup(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """editMessageReplyMarkup."""
    _, stored = _editable(s, p)
    markup = p.get("reply_markup")
    if stored.data.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    new = dict(stored.data)
    set_field(new, "reply_markup", markup)
    return _commit_edit(s, stored, new)


def delete_message(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """deleteMessage."""
    _delete_one(s, s.api_chat(p["chat_id"]), p["message_id"])
    return True


def delete_messages(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """deleteMessages."""
    chat = s.api_chat(p["chat_id"])
    for mid in p["message_ids"]:
        # Telegram skips messages that can't be found when deleting in bulk.
        if mid in chat.messages:
            _delete_one(s, chat, mid)
    return True


def answer_callback_query(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """answerCallbackQuery: recorded in ``callback_answers``."""
    rec = s.callbacks.get(p["callback_query_id"])
    if rec is None or rec.answered or s.now() - rec.created > CALLBACK_TTL:
        raise bad_request(QUERY_TOO_OLD)
    rec.answered = True
    s.callback_answers.append(
        {
            "callback_query_id": rec.query_id,
            "user_id": rec.user_id,
            "chat_id": rec.chat_id,
            "message_id": rec.message_id,
            "data": rec.data,
            "text": p.get("text"),
            "show_alert": bool(p.get("show_alert", False)),
            "url": p.get("url"),
        }
    )
    s.notify_changed()
    return True


def send_chat_action(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """sendChatAction."""
    chat = s.api_chat(p["chat_id"])
    check_can_send(chat)
    thread(chat, p.get("message_thread_id"))
    if p["action"] not in CHAT_ACTIONS:
        raise invalid("wrong parameter action in request")
    return True


def copy_message(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """copyMessage."""
    src = _source(s, p)
    chat, topic, reply = prepare_send(s, p)
    content = {k: src.data[k] for k in CONTENT_KEYS if k in src.data}
    if "caption" in p:
        if "text" in content:
            raise bad_request("message caption can't be set for a text message")
        caption, entities = text_field(p, parsed, "caption", "caption_entities")
        set_field(content, "caption", caption)
        set_field(content, "caption_entities", entities)
    flood_check(s, chat, p)
    msg = new_bot_message(s, chat, topic, reply, p, content)
    return {"message_id": msg["message_id"]}


def forward_message(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """forwardMessage."""
    src = _source(s, p)
    chat, topic, _ = prepare_send(s, p)
    content = {k: src.data[k] for k in CONTENT_KEYS if k in src.data}
    sender = src.data.get("from") or s.bot_user.to_api()
    content["forward_origin"] = {
        "type": "user",
        "sender_user": sender,
        "date": src.data["date"],
    }
    flood_check(s, chat, p)
    return new_bot_message(s, chat, topic, None, p, content)


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
}
