"""Objects of the emulator's world: users, chats, members, topics, messages, files, polls.

They are held by ``world.EmulatorState``, together with the records of requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .spec import TYPES

__all__ = [
    "ADMIN_RIGHTS",
    "CallbackRecord",
    "FakeChat",
    "FakeUser",
    "Member",
    "RequestRecord",
    "StoredFile",
    "StoredMessage",
    "StoredPoll",
    "Topic",
]

# Administrator rights that apply to groups/supergroups, read from the spec's
# ChatMemberAdministrator fields (channel-only rights are left out).
ADMIN_RIGHTS: tuple[str, ...] = tuple(
    f.name
    for f in TYPES["ChatMemberAdministrator"].fields.values()
    if f.name.startswith("can_")
    and f.name != "can_be_edited"
    and f.kinds == (("Boolean", 0),)
    and f.name not in ("can_post_messages", "can_edit_messages", "can_manage_direct_messages")
)
_REQUIRED_ADMIN = frozenset(TYPES["ChatMemberAdministrator"].required)


@dataclass(eq=False)
class FakeUser:
    """A Telegram user (or another bot) living in the emulator."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "id"
    is_bot: bool = False
    started: bool = False  # has the user ever opened the private chat with the bot
    blocked: bool = False
    deactivated: bool = False

    def to_api(self) -> dict[str, Any]:
        """The User object as the Bot API shows it."""
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code and not self.is_bot:
            out["language_code"] = self.language_code
        return out


@dataclass(eq=False)
class Member:
    """Membership of a user (or the bot) in a group chat."""

    status: str  # creator | administrator | member | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        """True while the user is in the chat."""
        return self.status in ("creator", "administrator", "member")

    def can(self, right: str) -> bool:
        """Does this member hold an administrator right (creators hold them all)."""
        if self.status == "creator":
            return True
        return self.status == "administrator" and bool(self.rights.get(right))

    def to_api(self, user: dict[str, Any]) -> dict[str, Any]:
        """The ChatMember subtype object for this membership."""
        if self.status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if self.status == "administrator":
            out: dict[str, Any] = {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
            }
            for right in ADMIN_RIGHTS:
                value = bool(self.rights.get(right, False))
                if value or right in _REQUIRED_ADMIN:
                    out[right] = value
            return out
        if self.status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": self.status, "user": user}


@dataclass(eq=False)
class Topic:
    """A forum topic; its thread id is the id of its creation service message."""

    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False
    created_by_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The ForumTopic object."""
        out: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            out["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return out


@dataclass(eq=False)
class StoredMessage:
    """A message in a chat; ``data`` is its current Message object."""

    data: dict[str, Any]
    from_bot: bool
    reply_keyboard: dict[str, Any] | None = None  # reply keyboards are not echoed in Message


@dataclass(eq=False)
class FakeChat:
    """A private chat, group or supergroup (optionally a forum)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: FakeUser | None = None  # the other party of a private chat
    members: dict[int, Member] = field(default_factory=dict)
    bot_member: Member = field(default_factory=lambda: Member("member"))
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    # Ids of the chat's pinned messages (pinChatMessage); a deleted message leaves the set.
    pinned_message_ids: set[int] = field(default_factory=set)
    # How the bot joins when add_bot_to_group is called.
    bot_joins_as_admin: bool = True
    bot_join_rights: dict[str, bool] | None = None
    # A basic group upgraded to a supergroup: the supergroup's id. Every method naming the old
    # id then fails with 400 and parameters.migrate_to_chat_id, and users can no longer write.
    migrated_to: int | None = None

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type in ("group", "supergroup")

    def to_api(self) -> dict[str, Any]:
        """The Chat object embedded in messages."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            out["first_name"] = self.user.first_name
            if self.user.last_name:
                out["last_name"] = self.user.last_name
            if self.user.username:
                out["username"] = self.user.username
        else:
            out["title"] = self.title or ""
            if self.username:
                out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out

    def to_full_info(self) -> dict[str, Any]:
        """The ChatFullInfo object returned by getChat."""
        out = self.to_api()
        out["accent_color_id"] = 0
        out["max_reaction_count"] = 11
        out["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        if newest := self.newest_pinned():
            # As getChat shows it: the newest pin, without its own reply_to_message.
            out["pinned_message"] = {
                k: v for k, v in self.messages[newest].data.items() if k != "reply_to_message"
            }
        return out

    def newest_pinned(self) -> int | None:
        """The id of the newest pinned message still in the chat (ids grow with time)."""
        return max((m for m in self.pinned_message_ids if m in self.messages), default=None)

    def take_message_id(self) -> int:
        """Allocate the next message id in this chat."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass(eq=False)
class StoredFile:
    """An uploaded file kept in memory."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


@dataclass(eq=False)
class StoredPoll:
    """A poll sent by the bot, with the votes cast through the driver."""

    poll: dict[str, Any]
    chat_id: int
    message_id: int
    votes: dict[int, list[int]] = field(default_factory=dict)


@dataclass(eq=False)
class CallbackRecord:
    """A callback query produced by a button press."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: datetime
    answered: bool = False


@dataclass(slots=True)
class RequestRecord:
    """One request the bot made (getUpdates excluded)."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    timestamp: datetime
    chat_id: int | str | None
    violation: bool = False
    injected: bool = False
    # time.perf_counter() when the request reached the emulator (for latency measurements).
    received: float = 0.0
