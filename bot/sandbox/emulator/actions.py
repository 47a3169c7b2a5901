"""Test driver, user actions on the bot's content: buttons, polls, files, raw updates."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from .driver import Driver, DriverError
from .media import document_object, photo_sizes
from .state import CallbackRecord, FakeChat, FakeUser

__all__ = ["ActionsDriver"]


class ActionsDriver(Driver):
    """Pressing buttons, forging callbacks, voting, sending files and odd updates."""

    _query_ids = itertools.count(4_382_901_000_000_000_001)

    async def press_button(
        self,
        user: FakeUser,
        message_or_id: dict[str, Any] | int,
        *,
        text: str | None = None,
        data: str | None = None,
        chat: FakeChat | None = None,
    ) -> str:
        """Press an inline button that is really on the bot message now; returns the query id."""
        if chat is None:
            chat = (
                self.chat(message_or_id["chat"]["id"])
                if isinstance(message_or_id, dict)
                else self.private_chat(user)
            )
        self._can_see(user, chat)
        stored = self._find(chat, message_or_id)
        if not stored.from_bot:
            raise DriverError("only bot messages carry inline keyboards")
        rows = (stored.data.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row]
        match = [
            b
            for b in buttons
            if (text is None or b["text"] == text)
            and (data is None or b.get("callback_data") == data)
        ]
        if not match or (text is None and data is None):
            labels = [(b["text"], b.get("callback_data")) for b in buttons]
            raise DriverError(
                f"no button text={text!r} data={data!r} on message "
                f"{stored.data['message_id']}; buttons: {labels}"
            )
        if "callback_data" not in match[0]:
            raise DriverError(f"button {match[0]['text']!r} is not a callback button")
        return self._callback(user, chat, stored.data, match[0]["callback_data"])

    async def forge_callback(
        self, user: FakeUser, chat: FakeChat, message_id: int, data: str
    ) -> str:
        """A callback query with arbitrary data (abuse tests); no check at all."""
        stored = chat.messages.get(message_id)
        message = (
            stored.data
            if stored is not None
            else {"chat": chat.to_api(), "message_id": message_id, "date": 0}
        )
        return self._callback(user, chat, message, data)

    def _callback(self, user: FakeUser, chat: FakeChat, message: dict[str, Any], data: str) -> str:
        query_id = str(next(self._query_ids))
        self.callbacks[query_id] = CallbackRecord(
            query_id, user.id, chat.id, message["message_id"], data, self.now()
        )
        self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": copy.deepcopy(message),
                "chat_instance": str(abs(chat.id) * 7919 % 10**18),
                "data": data,
            },
        )
        return query_id

    async def answer_poll(self, user: FakeUser, poll_id: str, option_ids: list[int]) -> None:
        """``user`` votes (``[]`` retracts): poll_answer and poll updates, counts updated."""
        stored = self.polls.get(poll_id)
        if stored is None:
            raise DriverError(f"no poll {poll_id}")
        poll = stored.poll
        self._can_see(user, self.chat(stored.chat_id))
        if poll["is_closed"]:
            raise DriverError("the poll is closed")
        n = len(poll["options"])
        if len(set(option_ids)) != len(option_ids) or any(not 0 <= i < n for i in option_ids):
            raise DriverError(f"invalid option ids {option_ids}")
        if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
            raise DriverError("the poll allows one answer only")
        previous = stored.votes.get(user.id)
        if previous and not poll["allows_revoting"]:
            raise DriverError("the poll does not allow changing the answer")
        for i in previous or []:
            poll["options"][i]["voter_count"] -= 1
        for i in option_ids:
            poll["options"][i]["voter_count"] += 1
        if option_ids:
            stored.votes[user.id] = list(option_ids)
        else:
            stored.votes.pop(user.id, None)
        poll["total_voter_count"] = len(stored.votes)
        if not poll["is_anonymous"]:
            self.push_update(
                "poll_answer",
                {
                    "poll_id": poll_id,
                    "user": user.to_api(),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [
                        poll["options"][i]["persistent_id"] for i in option_ids
                    ],
                },
            )
        self.push_update("poll", copy.deepcopy(poll))

    async def upload_document(
        self,
        user: FakeUser,
        filename: str,
        content: bytes,
        mime_type: str,
        *,
        caption: str | None = None,
        chat: FakeChat | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """``user`` sends a file; the bot can getFile and download it."""
        f = self.store_file(content, filename, mime_type, "documents")
        body: dict[str, Any] = {"document": document_object(f)}
        if caption:
            body["caption"] = caption
        target = chat or self.private_chat(user)
        return self._user_message(user, target, body, thread_id=thread_id)

    async def send_photo(
        self,
        user: FakeUser,
        content: bytes,
        *,
        caption: str | None = None,
        chat: FakeChat | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """``user`` sends a PNG/JPEG photo."""
        f = self.store_file(content, None, "image/jpeg", "photos")
        body: dict[str, Any] = {"photo": photo_sizes(f)}
        if caption:
            body["caption"] = caption
        target = chat or self.private_chat(user)
        return self._user_message(user, target, body, thread_id=thread_id)

    async def send_update(self, raw_update: dict[str, Any]) -> dict[str, Any]:
        """Queue an arbitrary (even malformed) update; an update_id is added if missing."""
        update = self.updates.push_raw(copy.deepcopy(raw_update))
        self.updates.raw_update_ids.add(update["update_id"])
        return update
