"""The bulk sender: nudges now, broadcasts and discussion prompts later.

Every bulk message goes through here and through the Application's rate limiter (marked
``bulk`` so replies to learners go first). The sender turns Telegram's answers into a
``DeliveryResult``: a 403 marks the learner inactive, transient failures are retried with
exponential back-off, and a send whose outcome is unknown is never repeated for
at-most-once kinds. A group upgraded to a supergroup (ChatMigrated) is reported to
``on_migrated`` so its state follows, and the message goes once to the new id.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.delivery.attempt import SendAttempt, run_claimed
from bot.delivery.limiter import retry_after_seconds
from bot.delivery.models import Claim, DeliveryResult, OutgoingMessage, Unclaim
from bot.delivery.stats import DeliveryStats
from bot.logs import scrub
from bot.transport import never_arrived, server_answered

logger = logging.getLogger(__name__)


def markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """The inline keyboard for ``message`` (None without buttons)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row]
            for row in message.buttons
        ]
    )


class BulkSender:
    """Sends one ``OutgoingMessage`` at a time per call; run many calls concurrently."""

    def __init__(
        self,
        bot: ExtBot[None],
        stats: DeliveryStats,
        *,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        on_migrated: Callable[[int, int], Awaitable[object]] | None = None,
        max_retries: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> None:
        self._bot = bot
        self.stats = stats
        self._on_blocked = on_blocked
        # (old chat id, new chat id) of a group upgraded to a supergroup.
        self._on_migrated = on_migrated
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def send(self, message: OutgoingMessage, *, claim: Claim | None = None,
                   unclaim: Unclaim | None = None) -> DeliveryResult | None:
        """Deliver ``message`` and report the outcome; never raises for Telegram errors.

        ``claim`` runs right before the request leaves (see ``Sender.send``); None when it
        said no.
        """
        return await run_claimed(lambda attempt: self._deliver(message, attempt), claim, unclaim)

    async def _deliver(self, message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        retries = 0
        moved_to: int | None = None
        while True:
            try:
                sent = await self._call(message, attempt)
            except Forbidden as exc:
                self.stats.count(message.kind, blocked=1)
                if message.chat_id > 0 and self._on_blocked is not None:
                    await self._on_blocked(message.chat_id)
                return DeliveryResult("blocked", error=scrub(exc.message), retries=retries)
            except RetryAfter as exc:
                # The limiter already waited and retried; keep the message and keep waiting.
                if retries >= self.max_retries * 4:
                    return self._failed(message, exc, retries)
                retries += 1
                self.stats.count(message.kind, retried=1)
                await asyncio.sleep(retry_after_seconds(exc) + 0.05)
                continue
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await self._migrated(message.chat_id, new_id)
                if moved_to is not None or not message.follow_migration:
                    failed = self._failed(message, exc, retries)
                    return dataclasses.replace(failed, migrated_to=new_id)
                # Once, to the supergroup: the group's rows now point there too.
                moved_to = new_id
                message = dataclasses.replace(message, chat_id=new_id)
                continue
            except BadRequest as exc:
                return self._failed(message, exc, retries)
            except NetworkError as exc:  # TimedOut included
                repeatable = never_arrived(exc) or (
                    not isinstance(exc, TimedOut) and server_answered(exc)
                )
                if not repeatable and message.at_most_once:
                    logger.warning("send to %s uncertain: %s", message.chat_id, exc.message)
                    self.stats.count(message.kind, uncertain=1)
                    return DeliveryResult("uncertain", error=scrub(exc.message), retries=retries)
                if retries >= self.max_retries:
                    return self._failed(message, exc, retries)
                retries += 1
                self.stats.count(message.kind, retried=1)
                await asyncio.sleep(min(self.max_delay, self.base_delay * 2 ** (retries - 1)))
                continue
            except TelegramError as exc:
                return self._failed(message, exc, retries)
            self.stats.count(message.kind, sent=1)
            return DeliveryResult("sent", message_id=sent.message_id, retries=retries,
                                  migrated_to=moved_to)

    async def _migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        logger.info("chat %s was upgraded to supergroup %s", old_chat_id, new_chat_id)
        if self._on_migrated is None:
            return
        try:
            await self._on_migrated(old_chat_id, new_chat_id)
        except Exception:
            # The send itself still goes on; the next ChatMigrated tries to record it again.
            logger.exception("could not record the upgrade of chat %s", old_chat_id)

    def _failed(
        self, message: OutgoingMessage, exc: TelegramError, retries: int
    ) -> DeliveryResult:
        logger.warning("send to %s failed: %s", message.chat_id, exc.message)
        self.stats.count(message.kind, failed=1)
        return DeliveryResult("failed", error=scrub(exc.message), retries=retries)

    async def _call(self, message: OutgoingMessage, attempt: SendAttempt) -> Message:
        options: dict[str, Any] = {
            "parse_mode": ParseMode.HTML,
            "reply_markup": markup(message),
            "disable_notification": message.disable_notification,
            "message_thread_id": message.message_thread_id,
            # Bulk traffic goes after replies; the attempt is claimed when its turn comes.
            "rate_limit_args": {"bulk": True, "attempt": attempt},
        }
        if message.media is not None:
            send = (self._bot.send_photo if message.media.kind == "photo"
                    else self._bot.send_document)
            return await send(
                message.chat_id, message.media.file_id, caption=message.text or None, **options
            )
        if message.document is not None:
            return await self._bot.send_document(
                message.chat_id,
                InputFile(message.document.content, filename=message.document.filename),
                caption=message.text or None,
                **options,
            )
        return await self._bot.send_message(message.chat_id, message.text, **options)
