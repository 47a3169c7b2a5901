"""Bot API methods about the bot itself, commands, chats, members and forum topics."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ApiError, bad_request, invalid
from .sending import new_bot_message
from .spec import METHODS
from .state import FakeChat, Member, Topic
from .world import EmulatorState, Handler, Params, Parsed

__all__ = ["HANDLERS", "TOPIC_COLORS"]

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANG = re.compile(r"[a-z]{2}")
# Allowed topic colours, read from the spec's createForumTopic.icon_color description.
_COLOR_TEXT = METHODS["createforumtopic"].fields["icon_color"].description
TOPIC_COLORS: tuple[int, ...] = tuple(int(m) for m in re.findall(r"(\d+) \(0x", _COLOR_TEXT))


# ------------------------------------------------------------------------ bot
def get_me(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getMe."""
    me = s.bot_user.to_api()
    me.update(
        can_join_groups=True,
        can_read_all_group_messages=not s.privacy_mode,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )
    return me


def _lang(p: Params) -> str:
    lang: str = p.get("language_code", "")
    if lang and not _LANG.fullmatch(lang):
        raise invalid("LANG_CODE_INVALID")
    return lang


def _scope_key(s: EmulatorState, p: Params) -> str:
    scope = p.get("scope") or {"type": "default"}
    if "chat_id" in scope:
        chat = s.api_chat(scope["chat_id"])
        scope = {**scope, "chat_id": chat.id}
    return json.dumps(scope, sort_keys=True)


def set_my_commands(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """setMyCommands, by scope and language."""
    for cmd in p["commands"]:
        if not _COMMAND.fullmatch(cmd["command"]):
            raise invalid("BOT_COMMAND_INVALID")
    s.commands[(_scope_key(s, p), _lang(p))] = list(p["commands"])
    return True


def get_my_commands(s: EmulatorState, p: Params, parsed: Parsed) -> list[dict[str, Any]]:
    """getMyCommands."""
    return list(s.commands.get((_scope_key(s, p), _lang(p)), []))


def delete_my_commands(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """deleteMyCommands."""
    s.commands.pop((_scope_key(s, p), _lang(p)), None)
    return True


def set_my_description(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """setMyDescription."""
    s.descriptions[("description", _lang(p))] = p.get("description", "")
    return True


def get_my_description(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getMyDescription."""
    return {"description": s.descriptions.get(("description", _lang(p)), "")}


def set_my_short_description(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """setMyShortDescription."""
    s.descriptions[("short", _lang(p))] = p.get("short_description", "")
    return True


def get_my_short_description(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getMyShortDescription."""
    return {"short_description": s.descriptions.get(("short", _lang(p)), "")}


def set_my_name(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """setMyName."""
    s.descriptions[("name", _lang(p))] = p.get("name", "")
    return True


def get_my_name(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getMyName (the bot's first name when none was set)."""
    return {"name": s.descriptions.get(("name", _lang(p))) or s.bot_user.first_name}


# ---------------------------------------------------------------------- chats
def get_chat(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getChat."""
    return s.api_chat(p["chat_id"]).to_full_info()


def _member(s: EmulatorState, chat: FakeChat, user_id: int) -> tuple[dict[str, Any], Member]:
    if user_id == s.bot_user.id:
        return s.bot_user.to_api(), chat.bot_member
    user = s.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.type == "private":
        return user.to_api(), Member("member" if user.id == chat.id else "left")
    return user.to_api(), chat.members.get(user_id) or Member("left")


def get_chat_member(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getChatMember."""
    user, member = _member(s, s.api_chat(p["chat_id"]), p["user_id"])
    return member.to_api(user)


def get_chat_administrators(s: EmulatorState, p: Params, parsed: Parsed) -> list[dict[str, Any]]:
    """getChatAdministrators (the bot included when it is one)."""
    chat = s.api_chat(p["chat_id"])
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    out = []
    for uid, member in chat.members.items():
        user = s.users[uid]
        if member.status in ("creator", "administrator") and (
            not user.is_bot or p.get("return_bots")
        ):
            out.append(member.to_api(user.to_api()))
    if chat.bot_member.status in ("creator", "administrator"):
        out.append(chat.bot_member.to_api(s.bot_user.to_api()))
    return out


def get_chat_member_count(s: EmulatorState, p: Params, parsed: Parsed) -> int:
    """getChatMemberCount."""
    chat = s.api_chat(p["chat_id"])
    if chat.type == "private":
        return 2
    return sum(m.present for m in chat.members.values()) + int(chat.bot_member.present)


def leave_chat(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """leaveChat: the bot leaves a group (a my_chat_member update)."""
    chat = s.api_chat(p["chat_id"])
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.bot_member.present:
        raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
    old = chat.bot_member
    chat.bot_member = Member("left")
    s.push_member_update(chat, s.bot_user, old, chat.bot_member, s.bot_user)
    return True


# --------------------------------------------------------------------- forums
def _forum(s: EmulatorState, p: Params) -> FakeChat:
    chat = s.api_chat(p["chat_id"])
    if chat.type != "supergroup" or not chat.is_forum:
        raise bad_request("the chat is not a forum")
    if not chat.bot_member.present:
        raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
    return chat


def _topic(chat: FakeChat, p: Params, need_rights: bool = True) -> Topic:
    topic = chat.topics.get(p["message_thread_id"])
    if topic is None or p["message_thread_id"] == 1:
        raise invalid("message thread not found")
    if need_rights and not (topic.created_by_bot or chat.bot_member.can("can_manage_topics")):
        raise bad_request("not enough rights to manage topics")
    return topic


def _topic_service(
    s: EmulatorState, chat: FakeChat, topic: Topic, key: str, value: dict[str, Any]
) -> dict[str, Any]:
    return new_bot_message(s, chat, topic.thread_id, None, {}, {key: value})


def create_forum_topic(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """createForumTopic: its thread id is the id of its creation service message."""
    chat = _forum(s, p)
    if not chat.bot_member.can("can_manage_topics"):
        raise bad_request("not enough rights to create a topic")
    color = p.get("icon_color", TOPIC_COLORS[0] if TOPIC_COLORS else 7322096)
    if TOPIC_COLORS and color not in TOPIC_COLORS:
        raise invalid("TOPIC_ICON_COLOR_INVALID")
    mid = chat.next_message_id
    topic = Topic(mid, p["name"], color, p.get("icon_custom_emoji_id"), created_by_bot=True)
    chat.topics[mid] = topic
    created = {"name": topic.name, "icon_color": color}
    if topic.icon_custom_emoji_id:
        created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    _topic_service(s, chat, topic, "forum_topic_created", created)
    return topic.to_api()


def close_forum_topic(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """closeForumTopic."""
    chat = _forum(s, p)
    topic = _topic(chat, p)
    if topic.is_closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.is_closed = True
    _topic_service(s, chat, topic, "forum_topic_closed", {})
    return True


def reopen_forum_topic(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """reopenForumTopic."""
    chat = _forum(s, p)
    topic = _topic(chat, p)
    if not topic.is_closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.is_closed = False
    _topic_service(s, chat, topic, "forum_topic_reopened", {})
    return True


def edit_forum_topic(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """editForumTopic."""
    chat = _forum(s, p)
    topic = _topic(chat, p)
    name = p.get("name", topic.name)
    emoji = p.get("icon_custom_emoji_id", topic.icon_custom_emoji_id)
    if name == topic.name and emoji == topic.icon_custom_emoji_id:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name, topic.icon_custom_emoji_id = name, emoji or None
    edited: dict[str, Any] = {k: p[k] for k in ("name", "icon_custom_emoji_id") if k in p}
    _topic_service(s, chat, topic, "forum_topic_edited", edited)
    return True


def delete_forum_topic(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """deleteForumTopic, with every message in it."""
    chat = _forum(s, p)
    topic = _topic(chat, p)
    if not chat.bot_member.can("can_delete_messages"):
        raise bad_request("not enough rights to delete a topic")
    del chat.topics[topic.thread_id]
    for mid in [
        m
        for m, stored in chat.messages.items()
        if stored.data.get("message_thread_id") == topic.thread_id
    ]:
        del chat.messages[mid]
    s.notify_changed()
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": set_my_description,
    "getMyDescription": get_my_description,
    "setMyShortDescription": set_my_short_description,
    "getMyShortDescription": get_my_short_description,
    "setMyName": set_my_name,
    "getMyName": get_my_name,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    "leaveChat": leave_chat,
    "createForumTopic": create_forum_topic,
    "closeForumTopic": close_forum_topic,
    "reopenForumTopic": reopen_forum_topic,
    "editForumTopic": edit_forum_topic,
    "deleteForumTopic": delete_forum_topic,
}
