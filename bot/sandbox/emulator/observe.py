"""Test driver, observing side: reading the bot's messages and waiting for the bot."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any


class ObserverMixin:
    """Reading stored messages and files, and waiting for the bot to act or go quiet."""

    def messages(self, chat_or_id: Any, *, from_bot: bool = True) -> list[dict]:
        """Current messages of a chat in order: the bot's only, or all with from_bot=False."""
        chat = self.chat(chat_or_id)
        return [
            copy.deepcopy(s.data) for s in chat.messages.values() if s.from_bot or not from_bot
        ]

    def last_message(self, chat_or_id: Any) -> dict | None:
        """The latest message the bot sent in the chat (current state), or None."""
        chat = self.chat(chat_or_id)
        for stored in reversed(chat.messages.values()):
            if stored.from_bot:
                return copy.deepcopy(stored.data)
        return None

    def reply_keyboard(self, chat_or_id: Any) -> dict | None:
        """The reply keyboard markup of the bot's latest message that set one, if any."""
        chat = self.chat(chat_or_id)
        for stored in reversed(chat.messages.values()):
            if stored.from_bot and stored.reply_keyboard is not None:
                return copy.deepcopy(stored.reply_keyboard)
        return None

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
            event = self._changed_event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))

    async def wait_for_message(
        self,
        chat: Any,
        *,
        predicate: Callable[[dict], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API
    ) -> dict:
        """Wait for a bot message sent after this call started (matching ``predicate``)."""
        target = self.chat(chat)
        baseline = target.next_message_id

        def check() -> dict | None:
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
            idle = now - max(self._last_request, self._last_queue_change)
            if not self._updates and self._inflight == 0 and idle >= quiet:
                return
            if now > deadline:
                raise TimeoutError(
                    f"emulator not settled after {timeout} s: {len(self._updates)} pending "
                    f"updates, {self._inflight} requests in flight"
                )
            await asyncio.sleep(min(0.02, quiet / 2))
