"""Test driver, the world's side: users, groups and topics, and what users type in them.

``Driver`` extends the ``EmulatorState`` with what a test does as the users: it changes the
world and queues the updates Telegram would send. The other driver parts (``actions.py``,
``migration.py``, ``observe.py``) build on it.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable
from typing import Any

from .html import utf16_len
from .state import ADMIN_RIGHTS, FakeChat, FakeUser, Member, StoredMessage, Topic
from .world import EmulatorState

__all__ = ["Driver", "DriverError", "detect_entities"]

_ENTITY_PATTERNS = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}")),
    ("url", re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
)


class DriverError(AssertionError):
    """A driver call that a real user could not perform (fails the test)."""


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram's clients would attach to a typed text (commands, mentions, links)."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in _ENTITY_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            found.append((m.start(), m.end(), kind))
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:s]), "length": utf16_len(text[s:e])}
        for s, e, kind in found
    ]


class Driver(EmulatorState):
    """The users' side of the world: creating it, and what users write and do in chats."""

    _ids = itertools.count(5_000_000_001)
    _group_ids = itertools.count(1)

    # --------------------------------------------------------------- the world
    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        is_bot: bool = False,
        started: bool = False,
    ) -> FakeUser:
        """Create a user; ``started=True`` pretends they already opened the bot's chat."""
        user = FakeUser(
            next(self._ids), first_name, last_name, username, language_code, is_bot, started
        )
        self.users[user.id] = user
        return user

    def user(self, user_id: int) -> FakeUser:
        """The user with this id."""
        return self.users[user_id]

    def chat(self, chat: FakeChat | FakeUser | int) -> FakeChat:
        """Resolve a chat, a user (their private chat) or an id to a FakeChat."""
        if isinstance(chat, FakeChat):
            return chat
        if isinstance(chat, FakeUser):
            return self.private_chat(chat)
        if chat in self.chats:
            return self.chats[chat]
        if chat in self.users:
            return self.private_chat(self.users[chat])
        raise DriverError(f"no chat {chat}")

    def create_group(
        self,
        title: str,
        *,
        supergroup: bool = True,
        forum: bool = False,
        members: Iterable[FakeUser] = (),
        admins: Iterable[FakeUser] = (),
        bot_is_admin: bool = True,
        bot_rights: dict[str, bool] | None = None,
        with_bot: bool = True,
        username: str | None = None,
    ) -> FakeChat:
        """Create a (super)group; the first admin (else member) is its creator."""
        n = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + 2_000_000_000 + n) if supergroup else -(400_000_000 + n)
        chat = FakeChat(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=forum and supergroup,
        )
        if chat.is_forum:
            # Message id 1 belongs to the General topic, whose thread id is 1.
            chat.next_message_id = 2
        admins, members = list(admins), list(members)
        for i, user in enumerate(admins + [m for m in members if m not in admins]):
            if i == 0:
                chat.members[user.id] = Member("creator")
            elif user in admins:
                chat.members[user.id] = Member("administrator", self._rights(None))
            else:
                chat.members[user.id] = Member("member")
        chat.bot_member = (
            self._bot_membership(bot_is_admin, bot_rights) if with_bot else Member("left")
        )
        chat.bot_joins_as_admin = bot_is_admin
        chat.bot_join_rights = bot_rights
        self.chats[chat.id] = chat
        return chat

    @staticmethod
    def _rights(overrides: dict[str, bool] | None) -> dict[str, bool]:
        rights = dict.fromkeys(ADMIN_RIGHTS, True)
        rights.update(overrides or {})
        return rights

    def _bot_membership(self, admin: bool, rights: dict[str, bool] | None) -> Member:
        return Member("administrator", self._rights(rights)) if admin else Member("member")

    async def add_bot_to_group(self, chat: FakeChat, by_user: FakeUser) -> None:
        """``by_user`` adds the bot: my_chat_member update plus a new_chat_members message."""
        old = chat.bot_member
        chat.bot_member = self._bot_membership(chat.bot_joins_as_admin, chat.bot_join_rights)
        self.push_member_update(chat, self.bot_user, old, chat.bot_member, by_user)
        self._user_message(
            by_user, chat, {"new_chat_members": [self.bot_user.to_api()]}, service=True
        )

    async def join_group(self, chat: FakeChat, user: FakeUser) -> dict[str, Any]:
        """``user`` joins: a new_chat_members service message (and chat_member if allowed)."""
        old = chat.members.get(user.id) or Member("left")
        chat.members[user.id] = Member("member")
        if chat.bot_member.status == "administrator":
            self.push_member_update(chat, user, old, chat.members[user.id], user)
        return self._user_message(user, chat, {"new_chat_members": [user.to_api()]}, service=True)

    async def leave_group(self, chat: FakeChat, user: FakeUser) -> dict[str, Any]:
        """``user`` leaves: a left_chat_member service message (and chat_member if allowed)."""
        old = chat.members.get(user.id) or Member("left")
        msg = self._user_message(user, chat, {"left_chat_member": user.to_api()}, service=True)
        chat.members[user.id] = Member("left")
        if chat.bot_member.status == "administrator":
            self.push_member_update(chat, user, old, chat.members[user.id], user)
        return msg

    def create_topic(
        self, chat: FakeChat, name: str, *, by: FakeUser | None = None, icon_color: int = 7322096
    ) -> Topic:
        """A user creates a forum topic; returns it (``thread_id`` is what the bot sees)."""
        if not chat.is_forum:
            raise DriverError(f"chat {chat.id} is not a forum")
        creator = by or next(
            (self.users[uid] for uid, m in chat.members.items() if m.present), None
        )
        if creator is None:
            raise DriverError("the forum has no member to create a topic")
        topic = Topic(chat.next_message_id, name, icon_color)
        chat.topics[topic.thread_id] = topic
        self._user_message(
            creator,
            chat,
            {"forum_topic_created": {"name": name, "icon_color": icon_color}},
            thread_id=topic.thread_id,
            service=True,
        )
        return topic

    def block_bot(self, user: FakeUser) -> None:
        """The user blocks the bot (my_chat_member update in the private chat)."""
        if not user.blocked:
            user.blocked = True
            self.push_member_update(
                self.private_chat(user), self.bot_user, Member("member"), Member("kicked"), user
            )

    def unblock_bot(self, user: FakeUser) -> None:
        """The user unblocks the bot (my_chat_member update in the private chat)."""
        if user.blocked:
            user.blocked = False
            self.push_member_update(
                self.private_chat(user), self.bot_user, Member("kicked"), Member("member"), user
            )

    def deactivate(self, user: FakeUser) -> None:
        """The user deletes their account."""
        user.deactivated = True

    # ----------------------------------------------------------- user actions
    def _find(self, chat: FakeChat, message: dict[str, Any] | int) -> StoredMessage:
        mid = message["message_id"] if isinstance(message, dict) else message
        stored = chat.messages.get(mid)
        if stored is None:
            raise DriverError(f"message {mid} not found in chat {chat.id}")
        return stored

    def _can_see(self, user: FakeUser, chat: FakeChat) -> None:
        if user.deactivated:
            raise DriverError(f"user {user.id} is deactivated")
        if chat.type == "private":
            if chat.id != user.id:
                raise DriverError(f"user {user.id} is not in private chat {chat.id}")
        elif not (chat.members.get(user.id) and chat.members[user.id].present):
            raise DriverError(f"user {user.id} is not a member of chat {chat.id}")

    def _bot_sees(self, chat: FakeChat, msg: dict[str, Any], service: bool) -> bool:
        if chat.type == "private":
            return True
        member = chat.bot_member
        if not member.present:
            return False
        if service or not self.privacy_mode or member.status in ("creator", "administrator"):
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_user.id:
            return True
        # Privacy mode: only commands (not addressed to another bot) get through.
        text = msg.get("text", "")
        ents = msg.get("entities", [])
        if ents and ents[0]["type"] == "bot_command" and ents[0]["offset"] == 0:
            command = text[: ents[0]["length"]]
            return "@" not in command or command.lower().endswith(f"@{self.bot_username}".lower())
        return False

    def _user_message(
        self,
        user: FakeUser,
        chat: FakeChat,
        content: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: dict[str, Any] | int | None = None,
        service: bool = False,
    ) -> dict[str, Any]:
        self._can_see(user, chat)
        if chat.migrated_to is not None and "migrate_to_chat_id" not in content:
            raise DriverError(f"chat {chat.id} was upgraded to supergroup {chat.migrated_to}")
        if chat.type == "private":
            user.started = True
            self.unblock_bot(user)
        msg: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": user.to_api(),
            "date": self.ts(),
            "chat": chat.to_api(),
        }
        if thread_id is not None:
            if thread_id not in chat.topics:
                raise DriverError(f"no topic {thread_id} in chat {chat.id}")
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if reply_to is not None:
            msg["reply_to_message"] = {
                k: v for k, v in self._find(chat, reply_to).data.items() if k != "reply_to_message"
            }
        msg.update(content)
        chat.messages[msg["message_id"]] = StoredMessage(msg, False)
        if self._bot_sees(chat, msg, service):
            self.push_update("message", copy.deepcopy(msg))
        return copy.deepcopy(msg)

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        thread_id: int | None = None,
        reply_to: dict[str, Any] | int | None = None,
    ) -> dict[str, Any]:
        """``user`` types ``text`` (commands, mentions and links get their entities)."""
        content: dict[str, Any] = {"text": text}
        if entities := detect_entities(text):
            content["entities"] = entities
        target = chat or self.private_chat(user)
        return self._user_message(user, target, content, thread_id=thread_id, reply_to=reply_to)

    async def edit_text(
        self, user: FakeUser, message: dict[str, Any] | int, new_text: str
    ) -> dict[str, Any]:
        """``user`` edits their own message: an edited_message update."""
        chat = (
            self.chat(message["chat"]["id"])
            if isinstance(message, dict)
            else self.private_chat(user)
        )
        stored = self._find(chat, message)
        if stored.from_bot or stored.data.get("from", {}).get("id") != user.id:
            raise DriverError("users can only edit their own messages")
        new = dict(stored.data, text=new_text, edit_date=self.ts())
        new.pop("entities", None)
        if entities := detect_entities(new_text):
            new["entities"] = entities
        stored.data = new
        if self._bot_sees(chat, new, False):
            self.push_update("edited_message", copy.deepcopy(new))
        return copy.deepcopy(new)
