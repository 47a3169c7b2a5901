"""Bot API methods about the bot itself, webhooks, commands, chats, members and forum topics."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import aiohttp

from .errors import ApiError, bad_request, invalid
from .spec import METHODS
from .state import FakeChat, Member, Topic

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANG = re.compile(r"[a-z]{2}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", re.IGNORECASE)
# Allowed topic colours, read from the spec's createForumTopic.icon_color description.
_COLOR_TEXT = METHODS["createforumtopic"].fields["icon_color"].description
TOPIC_COLORS: tuple[int, ...] = tuple(int(m) for m in re.findall(r"(\d+) \(0x", _COLOR_TEXT))


class ChatsMixin:
    """getMe, webhooks, commands/descriptions, chat info, members, leaveChat, forum topics."""

    # -------------------------------------------------------------------- bot
    def _api_getMe(self, p: dict, parsed: dict) -> dict:
        me = self.bot_user.to_api()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    def _lang(self, p: dict) -> str:
        lang = p.get("language_code", "")
        if lang and not _LANG.fullmatch(lang):
            raise invalid("LANG_CODE_INVALID")
        return lang

    def _scope_key(self, p: dict) -> str:
        scope = p.get("scope") or {"type": "default"}
        if "chat_id" in scope:
            chat = self._chat(scope["chat_id"])
            scope = {**scope, "chat_id": chat.id}
        return json.dumps(scope, sort_keys=True)

    def _api_setMyCommands(self, p: dict, parsed: dict) -> bool:
        for cmd in p["commands"]:
            if not _COMMAND.fullmatch(cmd["command"]):
                raise invalid("BOT_COMMAND_INVALID")
        self.commands[(self._scope_key(p), self._lang(p))] = list(p["commands"])
        return True

    def _api_getMyCommands(self, p: dict, parsed: dict) -> list:
        return list(self.commands.get((self._scope_key(p), self._lang(p)), []))

    def _api_deleteMyCommands(self, p: dict, parsed: dict) -> bool:
        self.commands.pop((self._scope_key(p), self._lang(p)), None)
        return True

    def _api_setMyDescription(self, p: dict, parsed: dict) -> bool:
        self.descriptions[("description", self._lang(p))] = p.get("description", "")
        return True

    def _api_getMyDescription(self, p: dict, parsed: dict) -> dict:
        return {"description": self.descriptions.get(("description", self._lang(p)), "")}

    def _api_setMyShortDescription(self, p: dict, parsed: dict) -> bool:
        self.descriptions[("short", self._lang(p))] = p.get("short_description", "")
        return True

    def _api_getMyShortDescription(self, p: dict, parsed: dict) -> dict:
        return {"short_description": self.descriptions.get(("short", self._lang(p)), "")}

    def _api_setMyName(self, p: dict, parsed: dict) -> bool:
        self.descriptions[("name", self._lang(p))] = p.get("name", "")
        return True

    def _api_getMyName(self, p: dict, parsed: dict) -> dict:
        return {"name": self.descriptions.get(("name", self._lang(p))) or self.bot_user.first_name}

    # ---------------------------------------------------------------- webhook
    def _api_setWebhook(self, p: dict, parsed: dict) -> bool:
        url = p["url"]
        if not url:
            return self._api_deleteWebhook(p, parsed)
        # Loopback http is an emulator extension so a local bot can receive webhooks.
        if not (url.lower().startswith("https://") or _LOOPBACK.match(url)):
            raise invalid("bad webhook: An HTTPS URL must be provided for webhook")
        if "secret_token" in p and not _SECRET.fullmatch(p["secret_token"]):
            raise invalid("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in p:
            self._allowed = frozenset(p["allowed_updates"]) or self._default_allowed
        self._webhook = {
            "url": url,
            "secret_token": p.get("secret_token"),
            "max_connections": p.get("max_connections", 40),
            "last_error_date": None,
            "last_error_message": None,
        }
        self._poll_gen += 1  # a waiting getUpdates ends with a conflict
        self._notify_updates()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        return True

    def _api_deleteWebhook(self, p: dict, parsed: dict) -> bool:
        self._webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._notify_changed()
        return True

    def _api_getWebhookInfo(self, p: dict, parsed: dict) -> dict:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            if self._allowed != self._default_allowed:
                info["allowed_updates"] = sorted(self._allowed)
            if self._webhook["last_error_date"]:
                info["last_error_date"] = self._webhook["last_error_date"]
                info["last_error_message"] = self._webhook["last_error_message"]
        return info

    async def _webhook_loop(self) -> None:
        """Deliver queued updates to the webhook one by one, like Telegram, until removed."""
        async with aiohttp.ClientSession() as session:
            while self._webhook is not None:
                if not self._updates:
                    event = self._update_event or asyncio.Event()
                    self._update_event = event
                    await event.wait()
                    continue
                update = self._updates[0][0]
                hook = self._webhook
                headers = {}
                if hook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as resp:
                        ok = 200 <= resp.status < 300
                        error = f"Wrong response from the webhook: {resp.status}"
                except (aiohttp.ClientError, OSError) as exc:
                    ok, error = False, f"Connection failed: {type(exc).__name__}"
                if ok:
                    if self._updates and self._updates[0][0] is update:
                        self._updates.popleft()
                    self._notify_changed()
                else:
                    hook["last_error_date"] = self._ts()
                    hook["last_error_message"] = error
                    await asyncio.sleep(0.2)

    # ------------------------------------------------------------------ chats
    def _api_getChat(self, p: dict, parsed: dict) -> dict:
        return self._chat(p["chat_id"]).to_full_info()

    def _member(self, chat: FakeChat, user_id: int) -> tuple[dict, Member]:
        if user_id == self.bot_user.id:
            return self.bot_user.to_api(), chat.bot_member
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            return user.to_api(), Member("member" if user.id == chat.id else "left")
        return user.to_api(), chat.members.get(user_id) or Member("left")

    def _api_getChatMember(self, p: dict, parsed: dict) -> dict:
        user, member = self._member(self._chat(p["chat_id"]), p["user_id"])
        return member.to_api(user)

    def _api_getChatAdministrators(self, p: dict, parsed: dict) -> list:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        out = []
        for uid, member in chat.members.items():
            user = self.users[uid]
            if member.status in ("creator", "administrator") and (
                not user.is_bot or p.get("return_bots")
            ):
                out.append(member.to_api(user.to_api()))
        if chat.bot_member.status in ("creator", "administrator"):
            out.append(chat.bot_member.to_api(self.bot_user.to_api()))
        return out

    def _api_getChatMemberCount(self, p: dict, parsed: dict) -> int:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            return 2
        return sum(m.present for m in chat.members.values()) + int(chat.bot_member.present)

    def _api_leaveChat(self, p: dict, parsed: dict) -> bool:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if not chat.bot_member.present:
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        old = chat.bot_member
        chat.bot_member = Member("left")
        self._push_member_update(chat, self.bot_user, old, chat.bot_member, self.bot_user)
        return True

    # ----------------------------------------------------------------- forums
    def _forum(self, p: dict) -> FakeChat:
        chat = self._chat(p["chat_id"])
        if chat.type != "supergroup" or not chat.is_forum:
            raise bad_request("the chat is not a forum")
        if not chat.bot_member.present:
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        return chat

    def _topic(self, chat: FakeChat, p: dict, need_rights: bool = True) -> Topic:
        topic = chat.topics.get(p["message_thread_id"])
        if topic is None or p["message_thread_id"] == 1:
            raise invalid("message thread not found")
        if need_rights and not (topic.created_by_bot or chat.bot_member.can("can_manage_topics")):
            raise bad_request("not enough rights to manage topics")
        return topic

    def _topic_service(self, chat: FakeChat, topic: Topic, key: str, value: dict) -> dict:
        return self._new_bot_message(chat, topic.thread_id, None, {}, {key: value})

    def _api_createForumTopic(self, p: dict, parsed: dict) -> dict:
        chat = self._forum(p)
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
        self._topic_service(chat, topic, "forum_topic_created", created)
        return topic.to_api()

    def _api_closeForumTopic(self, p: dict, parsed: dict) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if topic.is_closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.is_closed = True
        self._topic_service(chat, topic, "forum_topic_closed", {})
        return True

    def _api_reopenForumTopic(self, p: dict, parsed: dict) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if not topic.is_closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.is_closed = False
        self._topic_service(chat, topic, "forum_topic_reopened", {})
        return True

    def _api_editForumTopic(self, p: dict, parsed: dict) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        name = p.get("name", topic.name)
        emoji = p.get("icon_custom_emoji_id", topic.icon_custom_emoji_id)
        if name == topic.name and emoji == topic.icon_custom_emoji_id:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.name, topic.icon_custom_emoji_id = name, emoji or None
        edited = {k: p[k] for k in ("name", "icon_custom_emoji_id") if k in p}
        self._topic_service(chat, topic, "forum_topic_edited", edited)
        return True

    def _api_deleteForumTopic(self, p: dict, parsed: dict) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if not chat.bot_member.can("can_delete_messages"):
            raise bad_request("not enough rights to delete a topic")
        del chat.topics[topic.thread_id]
        for mid in [
            m
            for m, s in chat.messages.items()
            if s.data.get("message_thread_id") == topic.thread_id
        ]:
            del chat.messages[mid]
        self._notify_changed()
        return True
