"""One rate limiter for all Bot API traffic, installed in the Application builder.

It knows Telegram's three limits (messages per second overall, per chat, per group per
minute), applies them only to methods that send a message, lets interactive replies go before
bulk traffic (bulk callers pass ``rate_limit_args={"bulk": True}``), and on a 429 waits the
``retry_after`` the server asked for and tries again instead of dropping the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import DeliverySettings
from bot.delivery.attempt import SendAttempt
from bot.delivery.pacing import ChatLimits, Pacer
from bot.delivery.shared import SharedLimits

logger = logging.getLogger(__name__)

RateLimitArgs = dict[str, Any]

# Methods that put a message into a chat: the ones Telegram's flood limits count. Edits,
# answerCallbackQuery, getUpdates, chat actions and the like are not paced.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendAudio", "sendDocument", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendPaidMedia", "sendMediaGroup", "sendLocation",
        "sendVenue", "sendContact", "sendPoll", "sendChecklist", "sendDice", "sendSticker",
        "sendInvoice", "sendGame", "copyMessage", "copyMessages", "forwardMessage",
        "forwardMessages",
    }
)


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait a 429 asked for, in seconds (without PTB's int/timedelta deprecation dance)."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if value is not None else 1.0


def chat_key(chat_id: object) -> tuple[int | str, bool] | None:
    """The chat a request goes to and whether it is a group (negative id or @username)."""
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id, chat_id < 0
    text = str(chat_id)
    try:
        number = int(text)
    except ValueError:
        return text, True
    return number, number < 0


@dataclass
class LimiterCounters:
    """What the limiter did, for stats and tests."""

    paced: int = 0
    interactive: int = 0
    bulk: int = 0
    retry_after: int = 0


class SinauRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """Telegram's flood limits for every request, interactive first, retrying 429s."""

    def __init__(self, settings: DeliverySettings, *, shared: SharedLimits | None = None) -> None:
        # Spacing releases a little below the limit keeps the global window (which counts a
        # request until its answer came back, so jitter cannot trip it) from ever being full.
        margin = settings.safety_margin
        self.pacing = settings.pacing
        self.max_retries = settings.max_retries
        # Paced a little below the limits: the server counts arrival times, and requests that
        # left evenly spaced arrive with some jitter.
        self.pacer = Pacer(
            settings.global_per_second * (1 - margin),
            capacity=max(1, int(settings.global_per_second)),
        )
        self.chats = ChatLimits(
            per_second=settings.chat_per_second,
            burst=settings.chat_burst,
            group_per_minute=settings.group_per_minute,
        )
        self.counters = LimiterCounters()
        # Several workers on one database: the limits are kept for all of them together.
        self.shared = shared

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Give the shared limiter back the slots whose answers came."""
        if self.shared is not None:
            await self.shared.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the request's turn, make it, and retry it after a 429."""
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        send = rate_limit_args.get("attempt") if rate_limit_args else None
        paced = self.pacing and endpoint in MESSAGE_METHODS
        target = chat_key(data.get("chat_id")) if paced else None
        # An album counts as one message per item.
        slots = max(1, len(data.get("media") or ())) if endpoint == "sendMediaGroup" else 1

        async def request() -> bool | dict[str, Any] | list[dict[str, Any]]:
            if not isinstance(send, SendAttempt):
                return await callback(*args, **kwargs)
            # The turn came: a bulk send claims its work now, right before the request.
            await send.leaving()
            try:
                result = await callback(*args, **kwargs)
            except asyncio.CancelledError:
                raise  # interrupted with the request out: its outcome stays unknown
            except BaseException:
                send.answered(delivered=False)
                raise
            send.answered(delivered=True)
            return result

        tries = 0
        while True:
            try:
                if paced:
                    return await self._paced(request, target, bulk, slots)
                return await request()
            except RetryAfter as exc:
                tries += 1
                self.counters.retry_after += 1
                if tries > self.max_retries:
                    raise
                delay = retry_after_seconds(exc) + 0.05
                logger.warning(
                    "429 on %s (%s): retrying in %.1f s", endpoint,
                    "bulk" if bulk else "interactive", delay,
                )
                if bulk:
                    # A flood answer most likely means the global budget: let bulk traffic
                    # rest for as long as asked while replies to learners keep going.
                    self.pacer.hold_bulk(delay)
                await asyncio.sleep(delay)

    async def _paced(
        self,
        request: Callable[[], Coroutine[Any, Any, Any]],
        target: tuple[int | str, bool] | None,
        bulk: bool,
        slots: int,
    ) -> Any:
        """Make the request inside its chat's and the global limits."""
        self.counters.paced += 1
        if bulk:
            self.counters.bulk += 1
        else:
            self.counters.interactive += 1
        async with contextlib.AsyncExitStack() as stack:
            if target is not None:
                await stack.enter_async_context(self.chats.slot(target[0], is_group=target[1]))
            for _ in range(slots):
                await stack.enter_async_context(self.pacer.slot(bulk=bulk))
            if self.shared is not None:
                chat = target[0] if target is not None and isinstance(target[0], int) else None
                await stack.enter_async_context(self.shared.slot(
                    chat, is_group=bool(target and target[1]), bulk=bulk, slots=slots))
            return await request()
