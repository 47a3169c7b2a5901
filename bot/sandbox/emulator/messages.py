"""Bot API methods that send, edit and delete messages and answer callback queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .errors import ApiError, bad_request, chat_migrated, invalid
from .html import utf16_len
from .state import FakeChat, StoredMessage

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


def trim_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
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


def shallow_message(data: dict) -> dict:
    """A copy of a message fit for ``reply_to_message`` (no further nesting)."""
    return {k: v for k, v in data.items() if k != "reply_to_message"}


class MessagesMixin:
    """sendMessage, edits, deletes, copies, forwards, chat actions and callback answers."""

    # ---------------------------------------------------------------- helpers
    def _private_chat(self, user) -> FakeChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = FakeChat(user.id, "private", user=user)
        return chat

    def _chat(self, chat_id: int | str) -> FakeChat:
        if isinstance(chat_id, str):
            for chat in self.chats.values():
                if chat.username and f"@{chat.username}".lower() == chat_id.lower():
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            user = self.users.get(chat_id)
            if user is None:
                raise bad_request("chat not found")
            chat = self._private_chat(user)
        if chat.migrated_to is not None:
            raise chat_migrated(chat.migrated_to)
        return chat

    def _check_can_send(self, chat: FakeChat) -> None:
        if chat.type == "private":
            user = chat.user
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

    def _thread(self, chat: FakeChat, thread_id: int | None) -> int | None:
        if thread_id is None:
            return None
        # Thread id 1 is the General topic: Telegram wants it omitted, never sent.
        topic = chat.topics.get(thread_id) if chat.is_forum else None
        if thread_id == 1 or topic is None:
            raise invalid("message thread not found")
        if topic.is_closed and not chat.bot_member.can("can_manage_topics"):
            raise bad_request("TOPIC_CLOSED")
        return thread_id

    def _reply_to(self, chat: FakeChat, params: dict | None) -> dict | None:
        if not params:
            return None
        target = self._chat(params["chat_id"]) if "chat_id" in params else chat
        stored = target.messages.get(params["message_id"])
        if stored is None:
            if params.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return shallow_message(stored.data)

    def _flood_check(self, chat: FakeChat, params: dict) -> None:
        if self.flood is None:
            return
        retry = self.flood.check(
            chat.id, is_group=chat.is_group, paid=bool(params.get("allow_paid_broadcast"))
        )
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def _text(self, p: dict, parsed: dict, field: str, ents_field: str) -> tuple[str, list]:
        if field in parsed:
            text, entities = parsed[field]
        else:
            text, entities = p[field], list(p.get(ents_field) or [])
            size = utf16_len(text)
            for e in entities:
                if e["offset"] < 0 or e["length"] <= 0 or e["offset"] + e["length"] > size:
                    raise invalid(f"can't parse entities: entity {e} is outside of the text")
        return trim_text(text, entities)

    def _prepare_send(self, p: dict) -> tuple[FakeChat, int | None, dict | None]:
        chat = self._chat(p["chat_id"])
        self._check_can_send(chat)
        thread = self._thread(chat, p.get("message_thread_id"))
        reply = self._reply_to(chat, p.get("reply_parameters"))
        return chat, thread, reply

    def _new_bot_message(
        self,
        chat: FakeChat,
        thread: int | None,
        reply: dict | None,
        p: dict,
        content: dict,
    ) -> dict:
        mid = chat.take_message_id()
        msg: dict[str, Any] = {
            "message_id": mid,
            "from": self.bot_user.to_api(),
            "date": self._ts(),
            "chat": chat.to_api(),
        }
        if thread is not None:
            msg["message_thread_id"] = thread
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
        self._notify_changed()
        return msg

    def _stored(self, p: dict, not_found: str) -> tuple[FakeChat, StoredMessage]:
        if "inline_message_id" in p:
            raise invalid("inline messages are not supported by the emulator")
        if "chat_id" not in p or "message_id" not in p:
            raise invalid("message identifier is not specified")
        chat = self._chat(p["chat_id"])
        stored = chat.messages.get(p["message_id"])
        if stored is None:
            raise bad_request(not_found)
        return chat, stored

    def _editable(self, p: dict) -> tuple[FakeChat, StoredMessage]:
        chat, stored = self._stored(p, "message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _commit_edit(self, stored: StoredMessage, new: dict) -> dict:
        new["edit_date"] = self._ts()
        stored.data = new
        self._notify_changed()
        return new

    @staticmethod
    def _set(msg: dict, key: str, value: Any) -> None:
        if value:
            msg[key] = value
        else:
            msg.pop(key, None)

    # ---------------------------------------------------------------- methods
    def _api_sendMessage(self, p: dict, parsed: dict) -> dict:
        chat, thread, reply = self._prepare_send(p)
        text, entities = self._text(p, parsed, "text", "entities")
        self._flood_check(chat, p)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if p.get("link_preview_options"):
            content["link_preview_options"] = p["link_preview_options"]
        return self._new_bot_message(chat, thread, reply, p, content)

    def _api_editMessageText(self, p: dict, parsed: dict) -> dict:
        if "text" not in p:
            raise invalid("message text is empty")
        _, stored = self._editable(p)
        old = stored.data
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(p, parsed, "text", "entities")
        markup = p.get("reply_markup")
        if (
            old["text"] == text
            and old.get("entities", []) == entities
            and old.get("reply_markup") == markup
        ):
            raise bad_request(NOT_MODIFIED)
        new = dict(old)
        new["text"] = text
        self._set(new, "entities", entities)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        self._set(new, "reply_markup", markup)
        if p.get("link_preview_options"):
            new["link_preview_options"] = p["link_preview_options"]
        return self._commit_edit(stored, new)

    def _api_editMessageCaption(self, p: dict, parsed: dict) -> dict:
        _, stored = self._editable(p)
        old = stored.data
        if "text" in old or "poll" in old:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = ("", [])
        if "caption" in p:
            caption, entities = self._text(p, parsed, "caption", "caption_entities")
        markup = p.get("reply_markup")
        if (
            old.get("caption", "") == caption
            and old.get("caption_entities", []) == entities
            and old.get("reply_markup") == markup
        ):
            raise bad_request(NOT_MODIFIED)
        new = dict(old)
        self._set(new, "caption", caption)
        self._set(new, "caption_entities", entities)
        self._set(new, "reply_markup", markup)
        return self._commit_edit(stored, new)

    def _api_editMessageReplyMarkup(self, p: dict, parsed: dict) -> dict:
        _, stored = self._editable(p)
        markup = p.get("reply_markup")
        if stored.data.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        new = dict(stored.data)
        self._set(new, "reply_markup", markup)
        return self._commit_edit(stored, new)

    def _delete_one(self, chat: FakeChat, message_id: int) -> None:
        stored = chat.messages.get(message_id)
        if stored is None:
            raise bad_request("message to delete not found")
        if (
            not stored.from_bot
            and chat.is_group
            and not chat.bot_member.can("can_delete_messages")
        ):
            raise bad_request("message can't be deleted")
        del chat.messages[message_id]
        chat.pinned_message_ids.discard(message_id)  # deleting a message unpins it
        self.deleted_messages.append((chat.id, message_id))
        self._notify_changed()

    def _api_deleteMessage(self, p: dict, parsed: dict) -> bool:
        self._delete_one(self._chat(p["chat_id"]), p["message_id"])
        return True

    def _api_deleteMessages(self, p: dict, parsed: dict) -> bool:
        chat = self._chat(p["chat_id"])
        for mid in p["message_ids"]:
            # Telegram skips messages that can't be found when deleting in bulk.
            if mid in chat.messages:
                self._delete_one(chat, mid)
        return True

    def _api_answerCallbackQuery(self, p: dict, parsed: dict) -> bool:
        rec = self._callbacks.get(p["callback_query_id"])
        if rec is None or rec.answered or self.now() - rec.created > CALLBACK_TTL:
            raise bad_request(QUERY_TOO_OLD)
        rec.answered = True
        self.callback_answers.append(
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
        self._notify_changed()
        return True

    def _api_sendChatAction(self, p: dict, parsed: dict) -> bool:
        chat = self._chat(p["chat_id"])
        self._check_can_send(chat)
        self._thread(chat, p.get("message_thread_id"))
        if p["action"] not in CHAT_ACTIONS:
            raise invalid("wrong parameter action in request")
        return True

    def _source(self, p: dict) -> StoredMessage:
        source_chat = self._chat(p["from_chat_id"])
        stored = source_chat.messages.get(p["message_id"])
        if stored is None:
            raise bad_request("message to copy not found")
        return stored

    def _api_copyMessage(self, p: dict, parsed: dict) -> dict:
        src = self._source(p)
        chat, thread, reply = self._prepare_send(p)
        content = {k: src.data[k] for k in CONTENT_KEYS if k in src.data}
        if "caption" in p:
            if "text" in content:
                raise bad_request("message caption can't be set for a text message")
            caption, entities = self._text(p, parsed, "caption", "caption_entities")
            self._set(content, "caption", caption)
            self._set(content, "caption_entities", entities)
        self._flood_check(chat, p)
        msg = self._new_bot_message(chat, thread, reply, p, content)
        return {"message_id": msg["message_id"]}

    def _api_forwardMessage(self, p: dict, parsed: dict) -> dict:
        src = self._source(p)
        chat, thread, _ = self._prepare_send(p)
        content = {k: src.data[k] for k in CONTENT_KEYS if k in src.data}
        sender = src.data.get("from") or self.bot_user.to_api()
        content["forward_origin"] = {
            "type": "user",
            "sender_user": sender,
            "date": src.data["date"],
        }
        self._flood_check(chat, p)
        return self._new_bot_message(chat, thread, None, p, content)
