"""Test driver, observing side: reading the bot's messages and pins, and waiting for the bot."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any

from .driver import Driver
from .state import FakeChat, FakeUser

__all__ = ["ObserverDriver"]

ChatRef = FakeChat | FakeUser | int


class ObserverDriver(Driver):
    """Reading stored messages, pins and files, and waiting for the bot to act or go quiet."""

    def messages(self, chat_or_id: ChatRef, *, from_bot: bool = True) -> list[dict[str, Any]]:
        """Current messages of a chat in order: the bot's only, or all with from_bot=False."""
        chat = self.chat(chat_or_id)
        return [
            copy.deepcopy(s.data) for s in chat.messages.values() if s.from_bot or not from_bot
        ]

    def last_message(self, chat_or_id: ChatRef) -> dict[str, Any] | None:
        """The latest message the bot sent in the chat (current state), or None."""
        chat = self.chat(chat_or_id)
        for stored in reversed(chat.messages.values()):
            if stored.from_bot:
                return copy.deepcopy(stored.data)
        return None

    def reply_keyboard(self, chat_or_id: ChatRef) -> dict[str, Any] | None:
        """The reply keyboard markup of the bot's latest message that set one, if any."""
        chat = self.chat(chat_or_id)
        for stored in reversed(chat.messages.values()):
            if stored.from_bot and stored.reply_keyboard is not None:
                return copy.deepcopy(stored.reply_keyboard)
        return None

    def pinned(self, chat_or_id: ChatRef) -> list[int]:
        """Ids of the chat's pinned messages still in it, oldest first."""
        chat = self.chat(chat_or_id)
        return sorted(m for m in chat.pinned_message_ids if m in chat.messages)

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file."""
        return self.stored_files[file_id].data

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - public API
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            event = self.changed_event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))

    async def wait_for_message(
        self,
        chat: ChatRef,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API
    ) -> dict[str, Any]:
        """Wait for a bot message sent after this call started (matching ``predicate``)."""
        target = self.chat(chat)
        baseline = target.next_message_id

        def check() -> dict[str, Any] | None:
            """The first new bot message that matches, if any."""
            for mid in range(baseline, target.next_message_id):
                stored = target.messages.get(mid)
                if stored and stored.from_bot and (predicate is None or predicate(stored.data)):
                    return copy.deepcopy(stored.data)
            return None

        return await self.wait_for(check, timeout)

    async def settle(
        self,
        quiet: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API
    ) -> None:
        """Wait until all updates are confirmed and the bot made no request for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            idle = now - max(self.last_request, self.updates.last_change)
            if not self.updates.queued and self.inflight == 0 and idle >= quiet:
                return
            if now > deadline:
                raise TimeoutError(
                    f"emulator not settled after {timeout} s: {len(self.updates.queued)} pending "
                    f"updates, {self.inflight} requests in flight"
                )
            await asyncio.sleep(min(0.02, quiet / 2))
