"""Threads in groups: open (forum topic or anchor message), find, best answer, close.

The Telegram side (creating a topic, sending, pinning, closing) is behind ``GroupPort`` so this
module stays free of ``telegram`` imports; the handlers provide the real port, tests a fake one.

In a group without topics a thread's anchor is pinned quietly while the thread is open, so
members find it again as the chat scrolls; forum topics are findable already and never pinned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.clock import Clock
from bot.content.render import clip_utf16
from bot.discussion.links import thread_link
from bot.discussion.migration import ChatMigrations, ChatMoved
from bot.discussion.summary import ThreadSummary, majority_language, summarize
from bot.storage.discussion import DiscussionRepository, GroupSettings, Post, Thread, ThreadRow
from bot.storage.users import Chat, ChatRepository

# Telegram's limit for a forum topic name.
TOPIC_NAME_MAX = 128
TITLE_MAX = 100

OpenStatus = Literal["opened", "reused", "no_topic_right", "failed"]


class GroupPort(Protocol):
    """What the thread service needs from Telegram."""

    async def can_manage_topics(self, chat_id: int) -> bool:
        """True when the bot may create and close forum topics in the chat."""
        ...

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        """Create a forum topic; its message_thread_id, or None if Telegram refused."""
        ...

    async def send(
        self, chat_id: int, text: str, *, topic_id: int | None = None,
        reply_to: int | None = None,
    ) -> int | None:
        """Send a message (never with topic id 1); its message id, or None if not sent.

        Any method may raise ``ChatMoved`` when the group was upgraded to a supergroup.
        """
        ...

    async def close_topic(self, chat_id: int, topic_id: int) -> bool:
        """Close a forum topic; False if Telegram refused."""
        ...

    async def pin(self, chat_id: int, message_id: int) -> bool:
        """Pin a message without notifying; False when not allowed or refused (never raises)."""
        ...

    async def unpin(self, chat_id: int, message_id: int) -> bool:
        """Unpin a message; False when not allowed or refused (never raises)."""
        ...


@dataclass(frozen=True, slots=True)
class OpenResult:
    """What opening a thread did."""

    status: OpenStatus
    thread: Thread | None = None
    link: str | None = None
    pinned: bool = False  # the new thread's anchor was pinned

    @property
    def ok(self) -> bool:
        """True when a thread exists (new or reused)."""
        return self.thread is not None


def clean_title(title: str) -> str:
    """A one-line title within Telegram's topic name limit."""
    return " ".join(title.split())[:TITLE_MAX]


def link_of(thread: Thread) -> str | None:
    """The t.me link that opens the thread, or None in a basic group."""
    return thread_link(thread.chat_id, topic_id=thread.message_thread_id,
                       anchor_message_id=thread.anchor_message_id)


class ThreadService:
    """Opens and manages discussion threads; one opening at a time per group."""

    def __init__(self, repo: DiscussionRepository, chats: ChatRepository, clock: Clock,
                 *, default_language: str = "id",
                 migrations: ChatMigrations | None = None) -> None:
        self._repo = repo
        self._chats = chats
        self.clock = clock
        self.default_language = default_language
        self.migrations = migrations
        self._locks: dict[int, asyncio.Lock] = {}

    # ------------------------------------------------------------------ groups
    async def register_group(
        self, chat_id: int, type_: str, title: str | None, is_forum: bool
    ) -> GroupSettings:
        """Record the group and its discussion settings (idempotent)."""
        now = self.clock.now()
        await self._chats.upsert(chat_id=chat_id, type_=type_, title=title, is_forum=is_forum,
                                now=now)
        return await self._repo.ensure_group(chat_id, now)

    async def bot_left(self, chat_id: int, status: str) -> None:
        """Remember that the bot left or was removed (no more weekly prompts there)."""
        if await self._chats.get(chat_id) is not None:
            await self._chats.set_bot_status(chat_id, status, self.clock.now())

    async def bot_status(self, chat_id: int, status: str) -> None:
        """Remember the bot's membership status in a group."""
        await self._chats.set_bot_status(chat_id, status, self.clock.now())

    async def chat(self, chat_id: int) -> Chat | None:
        """A chat the bot knows."""
        return await self._chats.get(chat_id)

    async def group(self, chat_id: int) -> GroupSettings | None:
        """The group's discussion settings, if it is registered."""
        return await self._repo.group(chat_id)

    async def claim_welcome(self, chat_id: int) -> bool:
        """True exactly once per group: the caller then sends the welcome."""
        return await self._repo.claim_welcome(chat_id, self.clock.now())

    async def set_who_may_open(self, chat_id: int, who: str) -> GroupSettings:
        """'members' or 'trainers' may open threads; the settings now."""
        return await self._repo.save_settings(chat_id, self.clock.now(), who_may_open=who)

    async def set_language(self, chat_id: int, language: str) -> GroupSettings:
        """The group's language ('id' or 'en'); the settings now."""
        return await self._repo.save_settings(chat_id, self.clock.now(), language=language)

    async def open_threads(self, chat_id: int, limit: int) -> tuple[list[ThreadRow], int]:
        """The group's open threads, most recently active first, and how many are open."""
        return (await self._repo.open_threads(chat_id, limit),
                await self._repo.count_open(chat_id))

    async def post_counts(self, thread: Thread) -> tuple[int, int]:
        """(replies, participants) of a thread."""
        return await self._repo.post_counts(thread.id)

    async def member_name(self, user_id: int) -> str:
        """How a member is named in the group (their chosen name, else Telegram's)."""
        return await self._repo.member_name(user_id)

    async def summary(self, thread: Thread) -> ThreadSummary:
        """The numbers /summary shows."""
        return await summarize(self._repo, thread)

    async def group_language(self, chat_id: int) -> str:
        """The group's language setting, else the default."""
        group = await self._repo.group(chat_id)
        if group is not None and group.language:
            return group.language
        chat = await self._chats.get(chat_id)
        return (chat.language if chat and chat.language else None) or self.default_language

    async def thread_language(self, thread: Thread) -> str:
        """The language most of the thread's posts use, else the group's."""
        found = majority_language(await self._repo.language_counts(thread.id))
        return found or await self.group_language(thread.chat_id)

    # ----------------------------------------------------------------- threads
    async def open_thread(
        self, port: GroupPort, chat: Chat, *, title: str, opening_text: str,
        opened_by: int | None, course_key: str | None = None, lesson_key: str | None = None,
    ) -> OpenResult:
        """Open a thread (a lesson's thread is reused if it exists) and post its prompt.

        When the group turns out to have been upgraded to a supergroup (the port raises
        ``ChatMoved``), the upgrade is applied and the thread is opened there, once.
        """
        try:
            return await self._open(port, chat, title=title, opening_text=opening_text,
                                    opened_by=opened_by, course_key=course_key,
                                    lesson_key=lesson_key)
        except ChatMoved as moved:
            if self.migrations is None:
                return OpenResult("failed")
            await self.migrations.apply_moved(moved)
            new_chat_id = moved.new_chat_id
        target = await self._chats.get(new_chat_id)
        if target is None:
            return OpenResult("failed")
        try:
            return await self._open(port, target, title=title, opening_text=opening_text,
                                    opened_by=opened_by, course_key=course_key,
                                    lesson_key=lesson_key)
        except ChatMoved:
            return OpenResult("failed")

    async def _open(
        self, port: GroupPort, chat: Chat, *, title: str, opening_text: str,
        opened_by: int | None, course_key: str | None, lesson_key: str | None,
    ) -> OpenResult:
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        async with lock:
            if lesson_key is not None and course_key is not None:
                existing = await self._repo.lesson_thread(chat.id, course_key, lesson_key)
                if existing is not None:
                    return OpenResult("reused", existing, link_of(existing))
            title = clean_title(title)
            topic_id: int | None = None
            if chat.is_forum:
                if not await port.can_manage_topics(chat.id):
                    return OpenResult("no_topic_right")
                topic_id = await port.create_topic(chat.id, clip_utf16(title, TOPIC_NAME_MAX))
                if topic_id is None:
                    return OpenResult("no_topic_right")
            anchor = await port.send(chat.id, opening_text, topic_id=topic_id)
            if anchor is None and topic_id is None:
                return OpenResult("failed")
            thread = await self._repo.create_thread(
                chat_id=chat.id, title=title, message_thread_id=topic_id,
                anchor_message_id=anchor, course_key=course_key, lesson_key=lesson_key,
                opened_by=opened_by, now=self.clock.now(),
            )
            # Best effort, after the thread is recorded: without the right it stays unpinned.
            pinned = anchor is not None and not chat.is_forum and await port.pin(chat.id, anchor)
            return OpenResult("opened", thread, link_of(thread), pinned=pinned)

    async def find(
        self, chat_id: int, *, topic_id: int | None, is_topic: bool, reply_to: int | None
    ) -> Thread | None:
        """The thread a message belongs to.

        In a forum, the topic it was posted in; in a plain group, the thread of the message it
        replies to (the anchor or a recorded post, so reply chains belong transitively).
        """
        if is_topic and topic_id is not None and topic_id != 1:
            thread = await self._repo.thread_by_topic(chat_id, topic_id)
            if thread is not None:
                return thread
        if reply_to is not None:
            return await self._repo.thread_of_message(chat_id, reply_to)
        return None

    async def mark_best(self, thread: Thread, message_id: int) -> Post | None:
        """Mark a recorded post of the thread as its best answer; the post, or None."""
        post = await self._repo.post(thread.chat_id, message_id)
        if post is None or post.thread_id != thread.id:
            return None
        await self._repo.set_best(thread.id, message_id)
        return post

    async def close(self, port: GroupPort, thread: Thread, closing_text: str) -> bool:
        """Close the thread: say so in it, then close its topic or unpin its anchor.

        False if it was closed already. Whether the anchor was pinned is not stored: the unpin
        is simply asked for, and a group where the bot may not pin refuses it harmlessly.
        """
        if not await self._repo.close(thread.id, self.clock.now()):
            return False
        await port.send(thread.chat_id, closing_text, topic_id=thread.message_thread_id,
                        reply_to=None if thread.is_topic else thread.anchor_message_id)
        if thread.message_thread_id is not None:
            await port.close_topic(thread.chat_id, thread.message_thread_id)
        elif thread.anchor_message_id is not None:
            await port.unpin(thread.chat_id, thread.anchor_message_id)
        return True
